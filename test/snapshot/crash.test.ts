import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilesTsv } from '../../daemon/snapshot/bagFormat.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { verifyPath, type Problem } from '../../daemon/snapshot/verify.ts';
import { folderDrives, makeAppliance, type Appliance } from './fixture.ts';
import { TestMounts, type TestDrive } from './mounts.ts';

const repo = join(import.meta.dirname, '..', '..');
const isRoot = process.getuid?.() === 0;

/** mulberry32: a small seeded PRNG so a failing kill point can be replayed. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function runChild(dir: string, a: string, b: string, crashAt: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test', 'snapshot', 'crashChild.ts'), dir, a, b], {
      cwd: repo,
      env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent', BALLOTSAFE_TEST_CRASH_AT_STEP: String(crashAt) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

/** Catalog ids held by the complete bags on a drive, from its cumulative index. */
function idsOnDrive(drive: string): Set<number> {
  const text = readFileSync(join(drive, 'ballotsafe', 'test-election', 'cumulative-index.tsv'), 'utf8');
  const rows = text.trim().split('\n').slice(1);
  return new Set(rows.map((r) => Number(r.split('\t')[2])));
}

describe.skipIf(!isRoot)('kill -9 at seeded points during snapshots, then recovery', () => {
  let mounts: TestMounts;
  let app: Appliance;
  let a: TestDrive;
  let b: TestDrive;
  beforeAll(() => {
    mounts = new TestMounts();
    a = mounts.tmpfs('256m');
    b = mounts.tmpfs('256m');
    // The appliance's own disk (database, vault) on tmpfs too: this test is about kill points, not disk speed.
    const own = mounts.tmpfs('256m');
    app = makeAppliance(own.mountPoint, join(own.mountPoint, 'data'));
  });
  afterAll(() => {
    app?.close();
    mounts?.cleanup();
  });

  it('never reports a snapshot complete that fails verify, never loses a captured file (50 kills)', async () => {
    const seed = Number(process.env['BALLOTSAFE_CRASH_SEED'] ?? 20261103);
    const rand = prng(seed);
    const drives = folderDrives(a.mountPoint, b.mountPoint);
    let fileNo = 0;
    let killed = 0;
    const allowedBeforeRecovery = new Set<Problem['kind']>(['INCOMPLETE', 'INDEX']);
    // Until 50 children have been killed (a seeded step past the end lets a snapshot finish).
    const kills = Number(process.env['BALLOTSAFE_CRASH_KILLS'] ?? 50);
    for (let round = 0; killed < kills; round++) {
      expect(round, 'too many rounds without a kill').toBeLessThan(kills * 2);
      const newFiles = 1 + Math.floor(rand() * 2);
      for (let i = 0; i < newFiles; i++, fileNo++) {
        const size = 1 + Math.floor(rand() * 1_500_000); // some files span two 1 MiB chunks
        const buf = Buffer.alloc(size, fileNo & 0xff);
        buf.write(`file ${fileNo}`);
        app.addFile('central-scan', `Tab${round % 4}/Batch${String(round).padStart(3, '0')}/Image${fileNo}.tif`, buf);
      }
      const crashAt = 1 + Math.floor(rand() * 30);
      const child = await runChild(app.dir, a.mountPoint, b.mountPoint, crashAt);
      const context = `seed ${seed}, round ${round}, crash at step ${crashAt}: ${child.out}`;
      if (process.env['BALLOTSAFE_CRASH_DEBUG'] === '1') process.stderr.write(`${context} -> ${child.signal ?? child.code}\n`);
      if (child.signal === 'SIGKILL') killed++;
      else expect(child.code, context).toBe(0);

      // Straight after the kill: every bag carrying a completion marker must verify (the derived
      // cumulative index may be stale or missing until recovery rewrites it).
      for (const d of [a, b]) {
        const rep = await verifyPath(d.mountPoint);
        expect(rep.problems.filter((p) => !allowedBeforeRecovery.has(p.kind) && !(p.kind === 'MISSING' && /cumulative-(index\.tsv|manifest-sha256\.txt)$/.test(p.path))), context).toEqual([]);
      }
      // The database never calls a snapshot done that no drive holds (newest two: the ones this round touched).
      for (const s of app.engine().listSnapshots().slice(0, 2).filter((x) => x.state !== 'pending')) {
        const onA = (await verifyPath(join(a.mountPoint, 'ballotsafe', 'test-election', 'snapshots', s.bagName))).ok;
        const onB = (await verifyPath(join(b.mountPoint, 'ballotsafe', 'test-election', 'snapshots', s.bagName))).ok;
        expect(onA || onB, `${context}: ${s.bagName} is ${s.state} in the database but verifies on no drive`).toBe(true);
      }

      // Start-up recovery (every third round the next child's snapshot does it instead, and may be killed too).
      if (round % 3 !== 2) {
        assertOk(await app.engine().recover(drives));
        for (const d of [a, b]) expect((await verifyPath(d.mountPoint)).problems, context).toEqual([]);
        const snaps = app.engine().listSnapshots();
        expect(snaps.filter((s) => s.state !== 'complete'), context).toEqual([]);
        const planned = new Set(app.db.prepare<[], { id: number }>('SELECT file_version_id AS id FROM snapshot_items').all().map((r) => r.id));
        for (const d of [a, b]) expect([...idsOnDrive(d.mountPoint)].sort(), context).toEqual([...planned].sort());
      }
    }

    // A last snapshot takes everything captured; both drives hold every catalog version.
    assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives }));
    const all = app.db.prepare<[], { id: number }>('SELECT id FROM file_versions ORDER BY id').all().map((r) => r.id);
    for (const d of [a, b]) {
      expect((await verifyPath(d.mountPoint)).problems).toEqual([]);
      expect([...idsOnDrive(d.mountPoint)].sort((x, y) => x - y)).toEqual(all);
    }
    // Each captured file sits in exactly one snapshot bag per drive, with its catalog hash.
    const index = parseFilesTsv(
      readFileSync(join(a.mountPoint, 'ballotsafe', 'test-election', 'cumulative-index.tsv'), 'utf8')
        .split('\n')
        .map((l, i) => (i === 0 ? l.replace('sequence\tbag\t', '') : l.split('\t').slice(2).join('\t')))
        .join('\n'),
    );
    expect(typeof index === 'string' ? index : index.length).toBe(all.length);
  }, 600_000);
});
