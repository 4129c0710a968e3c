/**
 * Issue #15, progress that tells the truth: the read-back has its own count and bar, so the page
 * never shows "40 of 40" full while the drives are still being read back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
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

describe('while a snapshot is being written (its row is pending)', () => {
  it('"Last snapshot" is the last finished one and the new files still count as not on the drives', async () => {
    rig = await makeCustodyRig();
    await rig.enroll();
    rig.capture(3);
    expect((await rig.snapshot()).status).toBe(202);
    rig.capture(2, 1000);
    // What the engine stores before writing the first byte of snapshot #2 (engine.ts, "Plan and persist").
    const versions = rig.db.prepare('SELECT id, sha256, size FROM file_versions WHERE id NOT IN (SELECT file_version_id FROM snapshot_items)').all() as { id: number; sha256: string; size: number }[];
    expect(versions).toHaveLength(2);
    const id = Number(
      rig.db
        .prepare(
          `INSERT INTO snapshots (election, sequence, bag_name, reason, actor, full, state, started_at, files, bytes, root_hash, previous_root_hash, tag_files_json)
           VALUES ('custody-test', 2, '000002-20261103T220000Z', 'end-of-day', 'olivia', 0, 'pending', ?, 2, 2000, ?, NULL, '{}')`,
        )
        .run(new Date().toISOString(), 'ab'.repeat(32)).lastInsertRowid,
    );
    for (const v of versions) rig.db.prepare('INSERT INTO snapshot_items (snapshot_id, file_version_id, payload_path, sha256, size) VALUES (?, ?, ?, ?, ?)').run(id, v.id, `data/x/${v.id}`, v.sha256, v.size);

    const o = (await (await rig.get('/api/overview')).json()) as { lastSnapshot: { sequence: number } | null; notOnDrives: { files: number } };
    expect(o.lastSnapshot?.sequence).toBe(1);
    expect(o.notOnDrives.files).toBe(2);
    const page = await (await rig.get('/')).text();
    expect(page).toMatch(/Last snapshot <strong>#1<\/strong> today \d\d:\d\d/);
    expect(page).not.toMatch(/Last snapshot <strong>#2<\/strong> never/);
    expect(page).toMatch(/Not on the drives yet: <strong data-testid="not-on-drives">2<\/strong>/);
  });
});

describe('a catch-up run', () => {
  it('reports what it copied, not only the new snapshot ("Snapshot #2: 0 files" after writing drive B up)', async () => {
    rig = await makeCustodyRig();
    rig.capture(5, 2000);
    const engine = new SnapshotEngine({ db: rig.db, config: rig.config, logger: silentLogger() });
    const drives = [
      { role: 'A' as const, root: join(rig.dir, 'drive-a') },
      { role: 'B' as const, root: join(rig.dir, 'drive-b') },
    ];
    rig.unplug('B');
    const first = assertOk(await engine.run({ reason: 'end-of-day', actor: 'test', drives }));
    expect(first.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    expect(first.copied).toEqual({ files: 5, bytes: 10_000, snapshots: 1 });
    rig.plugIn('B');
    const second = assertOk(await engine.run({ reason: 'end-of-day', actor: 'test', drives }));
    expect(second.files).toBe(0);
    expect(second.copied).toEqual({ files: 5, bytes: 10_000, snapshots: 2 });

    const job: SnapshotJobView = { state: 'finished', reason: 'end-of-day', actor: 'olivia', startedAt: second.startedAt, progress: null, outcome: second, error: null, safeToRemove: true };
    const page = { user: { name: 'olivia', role: 'operator' as const }, csrfToken: 'x', electionTitle: 'Test', openAlerts: 0 };
    const html = String(SnapshotPage({ page: page as never, model: { job, drives: null, pending: { files: 0, bytes: 0 }, lastSnapshot: null, custody: null }, confirm: false, now: new Date() }));
    expect(html).toContain('This run copied 5 files (10.0 KB) to the drives: snapshot #2 and 1 earlier snapshot a drive was missing.');
  });
});

describe('the catch-up confirmation', () => {
  it('counts what the run will copy, by the rule the run plans with, and the run then copies exactly that', async () => {
    rig = await makeCustodyRig();
    await rig.enroll();
    rig.capture(5, 2000);
    // Snapshot #1 reached drive A only (drive B was out).
    const engine = new SnapshotEngine({ db: rig.db, config: rig.config, logger: silentLogger() });
    rig.unplug('B');
    const first = assertOk(await engine.run({ reason: 'end-of-day', actor: 'test', drives: [{ role: 'A', root: join(rig.dir, 'drive-a') }, { role: 'B', root: join(rig.dir, 'drive-b') }] }));
    expect(first.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    rig.plugIn('B');
    rig.capture(1, 500);

    const confirm = await (await rig.get('/snapshot?confirm=1')).text();
    const said = /data-testid="confirm-count">([^<]*(?:<!-- -->)?[^<]*)</.exec(confirm.replace(/<!-- -->/g, ''))?.[1]?.replace(/\s+/g, ' ');
    expect(said).toBe('This writes 1 new file (500 bytes) to drive A and drive B, and copies 5 files (10.0 KB) from an earlier snapshot that drive B lacks, then reads them back to verify them. Leave both drives connected until it says they are safe to remove.');

    expect((await rig.snapshot()).status).toBe(202);
    const outcome = rig.deps.snapshot.current().outcome;
    expect(outcome?.files).toBe(1);
    expect(outcome?.copied).toEqual({ files: 6, bytes: 10_500, snapshots: 2 });
  });
});
