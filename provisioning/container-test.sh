#!/usr/bin/env bash
# Runs provision.sh for real in a freshly debootstrapped Debian 12 booted under systemd-nspawn
# (systemd as PID 1 inside), then checks on the running system:
#   1. a second provisioning run prints "no changes";
#   2. `systemd-analyze security ballotsafe.service` exposure (the live number, not --offline);
#   3. node runs under the daemon's exact sandbox, and MemoryDenyWriteExecute=yes kills it;
#   4. a drive the socket-activated helper mounts (exFAT image on a loop device) becomes visible
#      and writable inside the already-running sandbox of a unit hardened like the daemon;
#   5. lsblk (drive discovery) works in the sandbox;
#   6. the signer: its socket is up, the ballotsafe user gets signatures (`ballotsafe keys`) but
#      cannot read the key; a user outside the group cannot connect;
#   7. if the daemon command exists: ballotsafe.service captures real export files with the
#      hardening, and a snapshot written under the same sandbox verifies.
# Not part of `npm test` (takes several minutes, needs root, debootstrap and systemd-container).
#
# Usage: provisioning/container-test.sh [--suite bookworm|trixie] [--work DIR] [--keep] [--reuse]
#   --suite     Debian 12 (bookworm, default) or 13 (trixie)
#   --work DIR  where the base system (cached between runs) and the container live
#               (default /var/tmp/ballotsafe-chroot)
#   --keep      leave the container tree for inspection
#   --reuse     start from the tree a --keep run left (already provisioned: the first run then
#               applies only what changed since, e.g. new units), instead of a fresh copy
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=/var/tmp/ballotsafe-chroot
KEEP=0
REUSE=0
SUITE=bookworm
while [ "$#" -gt 0 ]; do
  case "$1" in
    --work) WORK=${2:?}; shift ;;
    --keep) KEEP=1 ;;
    --reuse) REUSE=1 ;;
    --suite) SUITE=${2:?}; shift ;;
    *) echo "usage: $0 [--suite bookworm|trixie] [--work DIR] [--keep] [--reuse]" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for c in debootstrap systemd-nspawn mkfs.exfat losetup nsenter rsync; do
  command -v "$c" >/dev/null || { echo "missing $c (apt-get install debootstrap systemd-container exfatprogs rsync)" >&2; exit 1; }
done

case "$SUITE" in bookworm|trixie) ;; *) echo "--suite must be bookworm or trixie" >&2; exit 2 ;; esac
BASE=$WORK/base-$SUITE
WORK=$WORK/$SUITE
CT=$WORK/container
IMG=$WORK/drive-a.img
LOG=$WORK/nspawn.log
RESULTS=$WORK/results.txt
NSPAWN_PID=""
LOOP=""
FAILURES=0

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
  set +e
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    ct poweroff >/dev/null 2>&1
    for _ in $(seq 1 30); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 1; done
    kill "$NSPAWN_PID" 2>/dev/null
    wait "$NSPAWN_PID" 2>/dev/null
  fi
  [ -n "$LOOP" ] && losetup -d "$LOOP"
  rm -f "$IMG"
  [ "$KEEP" = 1 ] || rm -rf "$CT"
}
trap cleanup EXIT

result() { printf '%s\n' "$*" | tee -a "$RESULTS"; }
fail() { FAILURES=$((FAILURES + 1)); result "FAIL: $*"; }
pass() { result "PASS: $*"; }

# The container's PID 1 (systemd), child of systemd-nspawn.
ct_pid() { pgrep -P "$NSPAWN_PID" | head -n1; }
# Runs a command inside the booted container (all its namespaces).
ct_exec() { nsenter --target "$(ct_pid)" --all -- "$@"; }
ct() { ct_exec systemctl "$@"; }

mkdir -p "$WORK" "$(dirname "$BASE")"
: > "$RESULTS"

# ---- 1. base system (cached) ----
if [ ! -x "$BASE/usr/bin/apt-get" ] || [ ! -d "$BASE/lib/systemd" ]; then
  echo "debootstrap $SUITE (minbase + systemd) into $BASE ..."
  rm -rf "$BASE"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates "$SUITE" "$BASE" http://deb.debian.org/debian
fi
if [ "$REUSE" = 1 ] && [ -f "$CT/opt/ballotsafe/node_modules/.ballotsafe-npm-ci" ]; then
  result "reusing the provisioned container tree of an earlier --keep run"
  rm -rf "$CT/usr/local/lib/bs-probe" "$CT"/etc/systemd/system/bs-*.service "$CT/etc/systemd/system/ballotsafe-drive-helper@.service.d"
  # Fresh daemon state and drive folders, so capture and snapshot start from nothing again.
  find "$CT/var/lib/ballotsafe" "$CT/media/ballotsafe/A" "$CT/media/ballotsafe/B" -mindepth 1 -delete 2>/dev/null || true
else
  rm -rf "$CT"
  cp -a "$BASE" "$CT"
fi
# The source to install, as an installer would bring it (USB stick or git clone).
rsync -a --delete --filter=':- .gitignore' --exclude=/.git --exclude=/node_modules --exclude='/.tmp*' "$REPO/" "$CT/root/ballotsafe-src/"
echo "$SUITE-ct" > "$CT/etc/hostname"
# This build machine reaches the npm registry through a TLS-inspecting egress proxy: give the
# container the host's extra CA certificates (a real site needs nothing of the sort).
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$CT/usr/local/share/ca-certificates/"
  chroot "$CT" update-ca-certificates >/dev/null 2>&1
fi

# ---- 2. a drive image for the helper: exFAT on a loop device, handed to the container ----
truncate -s 64M "$IMG"
mkfs.exfat -L BSTEST "$IMG" >/dev/null
LOOP=$(losetup --find --show "$IMG")

# ---- 3. boot ----
# The npm cache survives between runs (downloads only once). The container shares the host's
# network: provision.sh detects the container and does not load its firewall rules, and nspawn
# withholds CAP_NET_ADMIN, so the enabled nftables.service fails harmlessly at a --reuse boot
# (the container then reports "degraded").
mkdir -p "$WORK/npm-cache"
# systemd 257 (trixie) no longer boots on this host's hybrid cgroup layout: give it cgroup v2 only.
if [ "$SUITE" = trixie ]; then export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1; fi
systemd-nspawn -q -D "$CT" --register=no --keep-unit -b \
  --bind=/dev/fuse --bind="$LOOP" --bind="$WORK/npm-cache:/root/.npm" > "$LOG" 2>&1 &
NSPAWN_PID=$!
for _ in $(seq 1 60); do
  sleep 1
  [ -n "$(ct_pid)" ] || continue
  state=$(ct_exec systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
done
result "container: $(ct_exec systemctl is-system-running 2>/dev/null || true) (systemd $(ct_exec systemctl --version | head -n1 | cut -d' ' -f2))"

# ---- 4. provision for real (downloads Node.js 20 + npm from the npm registry, apt from Debian) ----
start=$(date +%s)
if ct_exec /root/ballotsafe-src/provisioning/provision.sh > "$WORK/provision-1.log" 2>&1; then
  pass "first provisioning run ($(( $(date +%s) - start )) s, $(tail -n1 "$WORK/provision-1.log"))"
else
  fail "first provisioning run, see $WORK/provision-1.log"; tail -n 30 "$WORK/provision-1.log"
  exit 1
fi
ct_exec /root/ballotsafe-src/provisioning/provision.sh > "$WORK/provision-2.log" 2>&1 || true
if [ "$(tail -n1 "$WORK/provision-2.log")" = "no changes" ]; then pass "second run: no changes"; else fail "second run: $(grep -E '^change:' "$WORK/provision-2.log" | head -n 5 | tr '\n' ';')"; fi
result "node in the container: $(ct_exec /usr/bin/node --version 2>&1)"
if ct_exec nft -c -f /etc/nftables.conf; then pass "nft accepts /etc/nftables.conf (checked, not loaded)"; else fail "nft -c -f /etc/nftables.conf"; fi

# ---- 5. exposure, measured by the running manager ----
result "$(ct_exec systemd-analyze security --no-pager ballotsafe.service | tail -n1)"
result "$(ct_exec systemd-analyze security --no-pager 'ballotsafe-drive-helper@0.service' | tail -n1)"
result "$(ct_exec systemd-analyze security --no-pager ballotsafe-signer.service | tail -n1)"

# A unit with ballotsafe.service's exact sandbox running another program (written from the host
# side into the container's /etc; the probe scripts live in /usr/local, readable in the sandbox).
PROBES=/usr/local/lib/bs-probe
mkdir -p "$CT$PROBES"
probe_unit() { # name type script-body
  local name=$1 type=$2 body=$3
  printf '#!/bin/sh\n%s\n' "$body" > "$CT$PROBES/$name.sh"
  chmod 755 "$CT$PROBES/$name.sh"
  sed -e '/^ExecStart=/d' -e '/^Restart/d' -e '/^\[Install\]/,$d' -e "s/^Type=simple/Type=$type/" -e '/^AssertPath/d' \
    "$CT/etc/systemd/system/ballotsafe.service" > "$CT/etc/systemd/system/$name.service"
  printf 'ExecStart=%s\n' "$PROBES/$name.sh" >> "$CT/etc/systemd/system/$name.service"
  ct daemon-reload
}
# One request line to the drive helper, as the given user; prints the reply (or the error code).
cat > "$CT$PROBES/ask-helper.js" <<'JS'
const s = require('node:net').connect('/run/ballotsafe/drive-helper.sock');
let out = '';
s.on('error', (e) => console.log(e.code));
s.on('data', (d) => (out += d));
s.on('end', () => console.log(out.trim()));
s.end(process.argv[2] + '\n');
JS
ask_helper() { # user group request
  ct_exec setpriv --reuid="$1" --regid="$2" --init-groups /usr/bin/node "$PROBES/ask-helper.js" "$3" 2>&1 || true
}

# ---- 6. node under the sandbox; MemoryDenyWriteExecute ----
probe_unit bs-node oneshot "exec /usr/bin/node -e \"const z=require('node:zlib'); console.log('node ok', process.version, z.gzipSync('x').length, typeof WebAssembly)\""
if ct start bs-node.service 2>/dev/null; then
  pass "node runs under the daemon's sandbox: $(ct_exec journalctl -u bs-node -o cat -n 20 | grep 'node ok' | tail -n1)"
else
  fail "node under the sandbox: $(ct_exec journalctl -u bs-node -o cat -n 5 | tr '\n' ' ')"
fi
if ct_exec systemd-run --wait --quiet -p MemoryDenyWriteExecute=yes /usr/bin/node -e 'console.log(1)' >/dev/null 2>&1; then
  result "NOTE: node started with MemoryDenyWriteExecute=yes"
else
  result "confirmed: node fails with MemoryDenyWriteExecute=yes (V8 JIT), so the daemon unit leaves it off"
fi

# ---- 7. mount propagation: helper mounts, an already-running sandboxed unit sees and writes ----
# shellcheck disable=SC2016 # expanded by the probe's own shell
probe_unit bs-drive simple 'for i in $(seq 1 300); do grep -q " /media/ballotsafe/A " /proc/self/mountinfo && break; sleep 0.2; done
echo probe > /media/ballotsafe/A/probe.txt && echo wrote-probe && ls -ln /media/ballotsafe/A
exec sleep 600'
ct start bs-drive.service || true
sleep 1
mkdir -p "$CT/etc/systemd/system/ballotsafe-drive-helper@.service.d"
printf '[Service]\nEnvironment=BALLOTSAFE_HELPER_ALLOW_LOOP=1\n' > "$CT/etc/systemd/system/ballotsafe-drive-helper@.service.d/test-loop.conf"
ct daemon-reload
result "helper reply to 'mount $LOOP A' (as user ballotsafe): $(ask_helper ballotsafe ballotsafe "mount $LOOP A")"
sleep 3
# (grep without -q: with pipefail, -q's early exit would fail the pipeline)
if { ct_exec journalctl -u bs-drive -o cat || true; } | grep wrote-probe >/dev/null && [ "$(ct_exec cat /media/ballotsafe/A/probe.txt 2>/dev/null)" = probe ]; then
  pass "a mount the helper made after the sandboxed unit started is visible and writable inside it (host -> service propagation)"
else
  fail "propagation: $(ct_exec journalctl -u bs-drive -o cat -n 5 | tr '\n' ' ')"
fi
ct stop bs-drive.service || true
result "helper reply to 'unmount A': $(ask_helper ballotsafe ballotsafe 'unmount A')"
other=$(ask_helper nobody nogroup 'unmount A')
if [ "$other" = EACCES ]; then pass "a user outside the ballotsafe group cannot reach the helper ($other)"; else fail "helper socket reachable by nobody: $other"; fi
rm -f "$CT/etc/systemd/system/ballotsafe-drive-helper@.service.d/test-loop.conf"

# ---- 8. drive discovery inside the sandbox (no /dev: PrivateDevices=yes) ----
probe_unit bs-lsblk oneshot 'lsblk -J -b -O >/dev/null && lsblk -nro NAME,TYPE,SIZE'
if ct start bs-lsblk.service && ct_exec journalctl -u bs-lsblk -o cat | grep "^${LOOP#/dev/} loop" >/dev/null; then
  pass "lsblk -J -b -O works in the daemon's sandbox and lists ${LOOP#/dev/}"
else
  fail "lsblk in the sandbox: $(ct_exec journalctl -u bs-lsblk -o cat -n 5 | tr '\n' ' ')"
fi

# ---- 8b. the signer: the key's own user, reached only through its socket ----
if ct is-active --quiet ballotsafe-signer.socket; then pass "ballotsafe-signer.socket is listening"; else fail "ballotsafe-signer.socket: $(ct is-active ballotsafe-signer.socket)"; fi
if ct_exec /usr/local/bin/ballotsafe keys > "$WORK/keys.log" 2>&1; then
  pass "ballotsafe keys (as ballotsafe, through the signer, under its sandbox): $(tail -n1 "$WORK/keys.log")"
else
  fail "ballotsafe keys: $(tr '\n' ' ' < "$WORK/keys.log") $(ct_exec journalctl -u ballotsafe-signer -o cat -n 5 | tr '\n' ' ')"
fi
if ct_exec setpriv --reuid=ballotsafe --regid=ballotsafe --init-groups cat /var/lib/ballotsafe-signer/appliance-ed25519.json >/dev/null 2>&1; then
  fail "the ballotsafe user can read the signing key"
else
  pass "the ballotsafe user cannot read the signing key"
fi
signer_other=$(ct_exec setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/node -e "require('node:net').connect('/run/ballotsafe/signer.sock').on('error', (e) => console.log(e.code)).on('connect', () => console.log('connected'))" 2>&1 || true)
if [ "$signer_other" = EACCES ]; then pass "a user outside the ballotsafe group cannot reach the signer ($signer_other)"; else fail "signer socket reachable by nobody: $signer_other"; fi

# ---- 9. the daemon under its hardening: capture, then a snapshot onto folder drives ----
if grep -rqs "name: 'daemon'" "$CT/opt/ballotsafe/daemon/"; then
  CORPUS=$(cd "$REPO/.." && pwd)/shared/corpus
  mkdir -p "$CT/srv/ems-test/central-scan" "$CT/srv/ems-test/cvr-exports"
  cp "$CORPUS"/nh-amherst-scans/scan-marked-front.jpeg "$CORPUS"/nh-amherst-scans/scan-marked-back.jpeg "$CT/srv/ems-test/central-scan/"
  find "$CORPUS/dominion-alaska-2024-partial" -maxdepth 1 -name '*Manifest.json' -exec cp {} "$CT/srv/ems-test/cvr-exports/" \;
  nfiles=$(find "$CT/srv/ems-test" -type f | wc -l)
  cat > "$CT/etc/ballotsafe/config.yaml" <<'YAML'
election:
  name: container-test
  title: Container Test Election
dataDir: /var/lib/ballotsafe
roots:
  - label: central-scan
    path: /srv/ems-test/central-scan
  - label: cvr-exports
    path: /srv/ems-test/cvr-exports
capture:
  settleMs: 500
drives:
  mode: folders
  a: /media/ballotsafe/A
  b: /media/ballotsafe/B
YAML
  printf 'signing:\n  socket: /run/ballotsafe/signer.sock\n  publicKey: %s\n' "$(sed -n 2p "$CT/etc/ballotsafe/ballotsafe-appliance.pub")" >> "$CT/etc/ballotsafe/config.yaml"
  # Folder drives stand in for mounted USB drives, which the helper mounts owned by ballotsafe.
  ct_exec chown ballotsafe:ballotsafe /media/ballotsafe/A /media/ballotsafe/B
  ct start ballotsafe.service || true
  captured=0
  for _ in $(seq 1 60); do
    sleep 1
    captured=$({ ct_exec find /var/lib/ballotsafe/vault -type f 2>/dev/null || true; } | wc -l)
    if [ "$captured" -ge "$nfiles" ]; then break; fi
  done
  if ct is-active --quiet ballotsafe.service && [ "$captured" -ge "$nfiles" ]; then
    pass "ballotsafe.service runs with the hardening and captured $nfiles export files ($captured files in the vault)"
  else
    fail "ballotsafe.service (active: $(ct is-active ballotsafe.service), vault files: $captured of $nfiles): $(ct_exec journalctl -u ballotsafe -o cat -n 10 | tr '\n' ' ')"
  fi
  # The snapshot command under the daemon's exact sandbox (the daemon's own trigger is not wired yet).
  probe_unit bs-snapshot oneshot 'exec /usr/bin/node /opt/ballotsafe/bin/ballotsafe.js snapshot --reason operator --config /etc/ballotsafe/config.yaml'
  if ct start bs-snapshot.service; then
    pass "snapshot written by the ballotsafe user inside the daemon's sandbox: $(ct_exec journalctl -u bs-snapshot -o cat | tail -n 2 | tr '\n' ' ')"
  else
    fail "snapshot in the sandbox: $(ct_exec journalctl -u bs-snapshot -o cat -n 10 | tr '\n' ' ')"
  fi
  if { ct_exec journalctl -u ballotsafe-signer -o cat || true; } | grep '"signer.signed"' >/dev/null; then
    pass "the snapshot was signed by ballotsafe-signer.service"
  else
    fail "no signature in the signer's journal: $(ct_exec journalctl -u ballotsafe-signer -o cat -n 5 | tr '\n' ' ')"
  fi
  if ct_exec /usr/local/bin/ballotsafe verify /media/ballotsafe/A > "$WORK/verify-a.log" 2>&1 && ct_exec /usr/local/bin/ballotsafe verify /media/ballotsafe/B > "$WORK/verify-b.log" 2>&1; then
    pass "ballotsafe verify passes on drive folders A and B"
  else
    fail "verify: $(tail -n 5 "$WORK/verify-a.log" "$WORK/verify-b.log" | tr '\n' ' ')"
  fi
  result "running daemon: $(ct_exec systemd-analyze security --no-pager ballotsafe.service | tail -n1)"
else
  result "SKIPPED: the 'daemon' command is not in this checkout yet; ballotsafe.service was not started"
fi

echo
echo "== results ($RESULTS) =="
cat "$RESULTS"
exit "$FAILURES"
