import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFiles, type HashAnswer, type HashJob } from './hashPool.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('hashPool: payload hashing on worker threads', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bs-hashpool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every job once, with the hash of the whole file, across workers and batches', async () => {
    // Sizes around the worker's 4 MiB read, and many small files so several workers run at once.
    const sizes = [0, 1, 4 * 1024 * 1024 - 1, 4 * 1024 * 1024, 4 * 1024 * 1024 + 1, 9 * 1024 * 1024 + 7];
    for (let i = 0; i < 200; i++) sizes.push(100 + ((i * 7919) % 5000));
    const expected = new Map<string, string>();
    const jobs: HashJob[] = sizes.map((size, i) => {
      const data = randomBytes(size);
      const path = join(dir, `f${i}`);
      writeFileSync(path, data);
      expected.set(path, sha(data));
      return { path, maxBytes: size };
    });
    const answers = new Map<string, HashAnswer[]>();
    await hashFiles(jobs, 3, (job, a) => answers.set(job.path, [...(answers.get(job.path) ?? []), a]));
    expect(answers.size).toBe(jobs.length);
    for (const job of jobs) {
      const got = answers.get(job.path) ?? [];
      expect(got).toHaveLength(1);
      expect(got[0]).toEqual({ ok: true, value: { sha256: expected.get(job.path), size: job.maxBytes } });
    }
  });

  it('never reads a symbolic link, FIFO or folder, nor a file grown past its expected size; says which', async () => {
    writeFileSync(join(dir, 'outside'), 'secret');
    symlinkSync(join(dir, 'outside'), join(dir, 'link'));
    execFileSync('mkfifo', [join(dir, 'fifo')]); // no writer: a blocking open or read would hang the test
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'grown'), Buffer.alloc(1000));
    const jobs: HashJob[] = [
      { path: join(dir, 'missing'), maxBytes: 10 },
      { path: join(dir, 'link'), maxBytes: 10 },
      { path: join(dir, 'fifo'), maxBytes: 10 },
      { path: join(dir, 'folder'), maxBytes: 10 },
      { path: join(dir, 'grown'), maxBytes: 999 },
    ];
    const answers = new Map<string, HashAnswer>();
    await hashFiles(jobs, 2, (job, a) => answers.set(job.path, a));
    expect(answers.get(join(dir, 'missing'))).toEqual({ ok: false, unsafe: { kind: 'missing', detail: 'is not on the drive' } });
    expect(answers.get(join(dir, 'link'))).toEqual({ ok: false, unsafe: { kind: 'not-regular', detail: 'is a symbolic link, not a file' } });
    expect(answers.get(join(dir, 'fifo'))).toEqual({ ok: false, unsafe: { kind: 'not-regular', detail: 'is a FIFO (named pipe), not a file' } });
    expect(answers.get(join(dir, 'folder'))).toEqual({ ok: false, unsafe: { kind: 'not-regular', detail: 'is a folder, not a file' } });
    expect(answers.get(join(dir, 'grown'))).toEqual({ ok: false, unsafe: { kind: 'too-large', detail: 'is 1000 bytes, more than the 999 expected' } });
  });

  it('starts no worker for no jobs', async () => {
    let called = 0;
    await hashFiles([], 4, () => called++);
    expect(called).toBe(0);
  });
});
