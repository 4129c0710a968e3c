#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader: the appliance ships sources, no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

// The snapshot writer keeps many reads, writes and fsyncs in flight; libuv's default pool of 4
// threads would serialise them. Set before anything can start the pool.
process.env.UV_THREADPOOL_SIZE ??= '64';
const here = dirname(fileURLToPath(import.meta.url));
// The project's tsconfig, whatever the working folder: it sets the JSX runtime (hono/jsx) for the web pages.
register({ tsconfig: join(here, '..', 'tsconfig.json') });
await import(join(here, '..', 'daemon', 'cli.ts'));
