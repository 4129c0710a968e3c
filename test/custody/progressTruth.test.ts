/**
 * Issue #15, progress that tells the truth: the read-back has its own count and bar, so the page
 * never shows "40 of 40" full while the drives are still being read back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log/logger.ts';
import { assertOk } from '../../daemon/result.ts';
import type { SnapshotProgress } from '../../daemon/snapshot/api.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { progressLine } from '../../daemon/snapshot/progressText.ts';
import type { SnapshotJobView } from '../../daemon/custody/snapshotJobs.ts';
import { SnapshotPage } from '../../daemon/web/pages/snapshot.tsx';
import { makeCustodyRig, type CustodyRig } from './rig.ts';
import { join } from 'node:path';

let rig: CustodyRig | undefined;
afterEach(() => {
  rig?.cleanup();
  rig = undefined;
});

function pageFor(p: SnapshotProgress): string {
  const job: SnapshotJobView = { state: 'running', reason: 'end-of-day', actor: 'olivia', startedAt: new Date().toISOString(), progress: p, outcome: null, error: null, safeToRemove: false };
  const page = { user: { name: 'olivia', role: 'operator' as const }, csrfToken: 'x', electionTitle: 'Test', openAlerts: 0 };
  return String(
    SnapshotPage({ page: page as never, model: { job, drives: null, pending: { files: 0, bytes: 0 }, lastSnapshot: null, custody: null }, confirm: false, now: new Date() }),
  );
}

describe('snapshot progress', () => {
  it('counts the read-back apart from the writing, in the engine, the page and the CLI line', async () => {
    rig = await makeCustodyRig();
    rig.capture(40, 64 * 1024);
    const engine = new SnapshotEngine({ db: rig.db, config: rig.config, logger: silentLogger(), progressIntervalMs: 0 });
    const seen: SnapshotProgress[] = [];
    const drives = [
      { role: 'A' as const, root: join(rig.dir, 'drive-a') },
      { role: 'B' as const, root: join(rig.dir, 'drive-b') },
    ];
    const outcome = assertOk(await engine.run({ reason: 'end-of-day', actor: 'test', drives }, (p) => seen.push(p)));
    expect(outcome.files).toBe(40);

    // Nothing is read back while files are still being written.
    for (const p of seen.filter((x) => x.phase === 'preflight' || x.phase === 'writing')) expect(p.filesVerified).toBe(0);
    // Mid read-back: everything written, not everything checked yet.
    const mid = seen.find((p) => p.phase === 'verifying' && p.filesDone === 40 && p.filesVerified > 0 && p.filesVerified < 40);
    expect(mid, 'a progress report part-way through the read-back').toBeDefined();
    if (mid === undefined) return;
    expect(seen[seen.length - 1]).toMatchObject({ phase: 'done', filesVerified: 40, filesDone: 40 });
    // The read-back only grows.
    const counts = seen.map((p) => p.filesVerified);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));

    const html = pageFor(mid);
    expect(html).toMatch(/Written to the drives: <span data-field="files">40 of 40 files/);
    expect(html).toContain(`Read back and checked: <span data-field="readback">${mid.filesVerified} of 40 files`);
    const readBar = /id="readback-progress" max="100" value="(\d+)"/.exec(html);
    expect(Number(readBar?.[1])).toBeLessThan(100);
    expect(/id="snapshot-progress" max="100" value="(\d+)"/.exec(html)?.[1]).toBe('100');

    expect(progressLine(mid)).toMatch(new RegExp(`^Reading back and verifying: 40 of 40 files written \\(.*\\), ${mid.filesVerified} of 40 read back and checked`));
  });

  it('says the read-back has not started while writing', () => {
    const p: SnapshotProgress = { phase: 'writing', filesDone: 10, filesTotal: 40, bytesDone: 10, bytesTotal: 40, filesVerified: 0, bytesVerified: 0, bytesPerSecond: 1, secondsLeft: 30, perDrive: [] };
    expect(pageFor(p)).toContain('Read back and checked: <span data-field="readback">starts when writing ends');
    expect(progressLine(p)).not.toContain('read back');
  });
});
