#!/usr/bin/env node
// The `ballotsafe` command. Runs the compiled JavaScript in dist/ (scripts/build-cli.mjs) when it
// was built from the sources as they are now; otherwise (no build yet, or sources changed since)
// the TypeScript sources through tsx's loader: slower to start, never stale.
//
// CommonJS on purpose (bin/package.json): libuv starts its thread pool, with the size read from
// UV_THREADPOOL_SIZE, at its first use. Node reads an ES-module entry file through that pool
// before any line of it runs, so setting the variable in an ES module is always too late and
// the pool stays at 4. A CommonJS entry is read synchronously, so this line comes first.
'use strict';
// The snapshot writer keeps many reads, writes and fsyncs in flight; 4 threads would serialise them.
process.env.UV_THREADPOOL_SIZE ??= '64';

const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { builtFromTheseSources } = require('./sourceStamp.cjs');

const root = join(__dirname, '..');

/** dist/daemon/cli.js when dist/ was built from exactly these sources; BALLOTSAFE_FROM_SOURCES=1 skips it. */
function compiledCli() {
  if (process.env.BALLOTSAFE_FROM_SOURCES === '1') return undefined;
  try {
    return builtFromTheseSources(root) ? join(root, 'dist', 'daemon', 'cli.js') : undefined;
  } catch {
    return undefined; // a source unreadable: the sources decide (and say what is wrong)
  }
}

async function main() {
  const compiled = compiledCli();
  if (process.env.BALLOTSAFE_DEBUG === '1') process.stderr.write(`ballotsafe: running ${compiled ?? 'from the TypeScript sources'}\n`);
  if (compiled !== undefined) return void (await import(pathToFileURL(compiled).href));
  const { register } = await import('tsx/esm/api');
  // The project's tsconfig, whatever the working folder: it sets the JSX runtime (hono/jsx) for the web pages.
  register({ tsconfig: join(root, 'tsconfig.json') });
  await import(pathToFileURL(join(root, 'daemon', 'cli.ts')).href);
}

main().catch((e) => {
  process.stderr.write(`ballotsafe: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 70;
});
