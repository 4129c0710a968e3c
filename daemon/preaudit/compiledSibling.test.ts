/**
 * From the compiled dist/, the reader threads and the style-learning process load the compiled modules
 * named to them, not the TypeScript sources through tsx (about 20 MB less a reader thread).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledSibling } from './compiledSibling.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'compiled-sibling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compiled entries', () => {
  it('names the compiled sibling only when the caller runs compiled', () => {
    expect(compiledSibling('file:///opt/ballotsafe/dist/daemon/preaudit/pool.js', 'worker')).toBe('file:///opt/ballotsafe/dist/daemon/preaudit/worker.js');
    expect(compiledSibling('file:///opt/ballotsafe/daemon/preaudit/pool.ts', 'worker')).toBeUndefined();
  });

  it('the reader thread entry loads the compiled worker it is given', async () => {
    const fake = path.join(dir, 'worker.js');
    writeFileSync(fake, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('compiled worker loaded');\n");
    const worker = new Worker(new URL('./workerEntry.mjs', import.meta.url), { workerData: { layouts: [], essStylesKnown: true, compiledWorker: pathToFileURL(fake).href } });
    try {
      const said = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(said).toBe('compiled worker loaded');
    } finally {
      await worker.terminate();
    }
  });

  it('the style-learning process entry loads the compiled child it is given', async () => {
    const fake = path.join(dir, 'learnChild.js');
    writeFileSync(fake, "process.send('compiled child loaded', () => process.exit(0));\n");
    const child = fork(path.join(import.meta.dirname, 'learnChildEntry.mjs'), [pathToFileURL(fake).href], { execArgv: [] });
    const said = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
    });
    expect(said).toBe('compiled child loaded');
  });
});
