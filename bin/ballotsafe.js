#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader: the appliance ships sources, no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
await import(join(here, '..', 'daemon', 'cli.ts'));
