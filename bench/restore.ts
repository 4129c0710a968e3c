/**
 * Restore speed against `cp -r` of the same tree, measured in the same run.
 *
 *   npx tsx bench/restore.ts            (BENCH_FILES=1000 BENCH_FILE_KIB=256 by default: 256 MiB)
 *
 * A drive folder is written by the real snapshot engine (not timed). Then, alternately and twice
 * each (the best time counts): `cp -r` of the snapshot's data/ folder, and `ballotsafe restore`
 * of that drive (in this process: verify without payload hashes, then every file hashed while
 * written, compared with the signed manifest, linked to its name). Both read warm page cache
 * (the machine is shared, so caches are not dropped) and neither fsyncs. Not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runRestore } from '../daemon/cli/commands/restore.ts';
import { assertOk } from '../daemon/core/result.ts';
import { folderDrives, makeAppliance } from '../test/snapshot/fixture.ts';

const files = Number(process.env['BENCH_FILES'] ?? 1000);
const kib = Number(process.env['BENCH_FILE_KIB'] ?? 256);
const work = mkdtempSync(join(process.env['BENCH_DIR'] ?? tmpdir(), 'bs-bench-restore-'));

try {
  const app = makeAppliance(join(work, 'appliance'));
  for (let i = 0; i < files; i++) {
    const batch = String(Math.floor(i / 100)).padStart(3, '0');
    app.addFile('central-scan', `Tabulator00001/Batch${batch}/Image${String(i).padStart(5, '0')}.tif`, randomBytes(kib * 1024));
  }
  const driveA = join(work, 'driveA');
  const driveB = join(work, 'driveB');
  mkdirSync(driveA);
  mkdirSync(driveB);
  assertOk(await app.engine().run({ reason: 'operator', actor: 'bench', drives: folderDrives(driveA, driveB) }));
  app.close();
  const snaps = join(driveA, 'ballotsafe', 'test-election', 'snapshots');
  const bag = readdirSync(snaps)[0] ?? '';
  const data = join(snaps, bag, 'data');

  const cpTimes: number[] = [];
  const restoreTimes: number[] = [];
  for (let round = 0; round < 2; round++) {
    const cpDest = join(work, `cp${round}`);
    let t0 = performance.now();
    execFileSync('cp', ['-r', data, cpDest]);
    cpTimes.push(performance.now() - t0);

    const dest = join(work, `restore${round}`);
    let out = '';
    t0 = performance.now();
    const code = await runRestore([driveA, dest], { out: (t) => (out += t), err: () => undefined });
    restoreTimes.push(performance.now() - t0);
    if (code !== 0) throw new Error(`restore failed:\n${out}`);
    execFileSync('diff', ['-r', cpDest, dest]);
    rmSync(cpDest, { recursive: true });
    rmSync(dest, { recursive: true });
  }
  const cp = Math.min(...cpTimes);
  const restore = Math.min(...restoreTimes);
  const mib = (files * kib) / 1024;
  process.stdout.write(
    `${files} files, ${mib.toFixed(0)} MiB\n` +
      `cp -r      ${(cp / 1000).toFixed(2)} s  (${(mib / (cp / 1000)).toFixed(0)} MiB/s)\n` +
      `restore    ${(restore / 1000).toFixed(2)} s  (${(mib / (restore / 1000)).toFixed(0)} MiB/s)\n` +
      `ratio restore / cp -r = ${(restore / cp).toFixed(2)}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
