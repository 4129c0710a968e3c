// The fingerprint of the TypeScript sources a compiled build was made from. bin/ballotsafe.js runs
// the compiled JavaScript in dist/ only when dist/BUILD_STAMP holds the fingerprint of the sources
// as they are now, so an edited, pulled or copied source tree can never run stale compiled code.
// Contents, not times: a copy that keeps old modification times still changes the fingerprint.
// Hashing the contents costs ~10-30 ms of CPU, so a start first compares each file's size, times
// and inode (statList, ~3 ms, like git's index): when all are as they were at the build, no file
// was written since (any write changes the change time, which no program can set back).
'use strict';
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** The folders compiled into dist/ (everything the CLI and the daemon import). */
const SOURCE_DIRS = ['daemon', 'scripts'];
/** Files that change what the compiler emits. */
const BUILD_INPUTS = ['tsconfig.json', 'scripts/build-cli.mjs', 'bin/sourceStamp.cjs'];

function isSource(name) {
  return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name);
}

/** Every compiled source file, relative to the repository root, sorted. */
function sourceFiles(root) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && isSource(e.name)) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return out.sort();
}

function sourceStamp(root) {
  const h = createHash('sha256');
  for (const p of [...BUILD_INPUTS, ...sourceFiles(root)]) {
    const bytes = readFileSync(join(root, p));
    h.update(`${p}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** One line per file: path, size, modification and change times (ns), inode. */
function statList(root) {
  return [...BUILD_INPUTS, ...sourceFiles(root)]
    .map((p) => {
      const s = statSync(join(root, p), { bigint: true });
      return `${p} ${s.size} ${s.mtimeNs} ${s.ctimeNs} ${s.ino}`;
    })
    .join('\n');
}

/** True when dist/ was built from the sources as they are now (read-only: never writes). */
function builtFromTheseSources(root) {
  const read = (name) => {
    try {
      return readFileSync(join(root, 'dist', name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const stamp = read('BUILD_STAMP');
  if (stamp === undefined) return false;
  if (read('BUILD_FILES') === statList(root)) return true;
  return stamp.trim() === sourceStamp(root);
}

module.exports = { sourceFiles, sourceStamp, statList, builtFromTheseSources, SOURCE_DIRS };
