#!/usr/bin/env node
// Compiles the TypeScript sources (daemon/, scripts/) to JavaScript in dist/, one file for one file,
// so `ballotsafe` starts without the TypeScript loader (~0.5 s and ~75 MB at every start).
// dist/BUILD_STAMP, written last, is the fingerprint of the sources compiled; bin/ballotsafe.js
// runs dist/ only while the sources still have that fingerprint (bin/sourceStamp.cjs).
//
//   node scripts/build-cli.mjs           build (a few seconds)
//   node scripts/build-cli.mjs --check   exit 0 when dist/ matches the sources, 1 when not
import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { sourceFiles, sourceStamp, statList, builtFromTheseSources, SOURCE_DIRS } = require('../bin/sourceStamp.cjs');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

if (process.argv.includes('--check')) process.exit(builtFromTheseSources(root) ? 0 : 1);

// esbuild comes with tsx (a dependency); it is not a separate download.
const esbuild = require('esbuild');

/** Each module stays its own file: every import stays an import, a relative `.ts` one now names the `.js`. */
const oneFileForOneFile = {
  name: 'one-file-for-one-file',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) return { path: args.path.replace(/\.tsx?$/, '.js'), external: true };
      return { path: args.path, external: true };
    });
  },
};

/** Files that are not TypeScript (worker scripts, the drive helper, data): linked, so they resolve where they always did. */
function linkOtherFiles(out) {
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !/\.tsx?$/.test(e.name)) {
        mkdirSync(join(out, rel), { recursive: true });
        symlinkSync(relative(join(out, rel), join(root, p)), join(out, p));
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  // The web UI's assets are found relative to the compiled web server, as they are to its source.
  symlinkSync(relative(out, join(root, 'web-ui')), join(out, 'web-ui'));
}

const started = Date.now();
const files = statList(root);
const stamp = sourceStamp(root);
const tmp = join(root, `.dist-building-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
try {
  await esbuild.build({
    entryPoints: sourceFiles(root).map((p) => join(root, p)),
    outdir: tmp,
    outbase: root,
    bundle: true,
    plugins: [oneFileForOneFile],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    sourcemap: true,
    logLevel: 'warning',
  });
  linkOtherFiles(tmp);
  // A source changed while compiling: the output may mix both versions; refuse it.
  if (sourceStamp(root) !== stamp || statList(root) !== files) throw new Error('the sources changed during the build; run it again');
  writeFileSync(join(tmp, 'BUILD_FILES'), files);
  writeFileSync(join(tmp, 'BUILD_STAMP'), `${stamp}\n`); // last: a build without it is no build
  rmSync(dist, { recursive: true, force: true });
  renameSync(tmp, dist);
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`build-cli: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
process.stdout.write(`build-cli: ${sourceFiles(root).length} files compiled to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
