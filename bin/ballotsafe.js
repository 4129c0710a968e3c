#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader: the appliance ships sources, no build step.
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

async function main() {
  const { register } = await import('tsx/esm/api');
  // The project's tsconfig, whatever the working folder: it sets the JSX runtime (hono/jsx) for the web pages.
  register({ tsconfig: join(__dirname, '..', 'tsconfig.json') });
  await import(pathToFileURL(join(__dirname, '..', 'daemon', 'cli.ts')).href);
}

main().catch((e) => {
  process.stderr.write(`ballotsafe: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 70;
});
