/**
 * Snapshot and verify speed against plain tools, measured in the same run.
 *
 *   npx tsx bench/snapshot.ts            (BENCH_FILES=5000 BENCH_FILE_KIB=320 by default: 1.6 GB)
 *
 * 1. snapshot to two drive folders (one read of each vault object, two writers, fsync, syncfs,
 *    read-back of both copies from the drive after dropping their cached pages, manifests, signature)
 *    vs. the baseline `cp -r` to A, `cp -r` to B, `sha256sum` of every source file. Goal <= 0.7.
 * 2. `verify` of drive A vs. `sha256sum -c manifest-sha256.txt` of the same bag. Goal <= 0.4 (bench/verify.ts repeats it).
 * 3. peak RSS of the snapshot and verify processes.
 * Page cache is dropped before every timed step (root only) so each starts cold, like a real drive.
 * Not part of `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..');
const out = join(here, 'out', 'snapshot');

async function child(mode: string, dir: string): Promise<void> {
  const { makeAppliance, folderDrives } = await import('../test/snapshot/fixture.ts');
  const { verifyPath } = await import('../daemon/snapshot/verify.ts');
  const t0 = performance.now();
  let detail: unknown;
  if (mode === 'snapshot' || mode === 'snapshot-cached') {
    const cached = mode === 'snapshot-cached';
    const app = makeAppliance(dir);
    const phases: string[] = [];
    let last = '';
    const drives = cached ? folderDrives(join(dir, 'snapC'), join(dir, 'snapD')) : folderDrives(join(dir, 'snapA'), join(dir, 'snapB'));
    const res = await app.engine({ readBackFromMedia: !cached }).run({ reason: 'operator', actor: 'bench', drives, full: cached }, (p) => {
      if (p.phase !== last) phases.push(`${p.phase}@${((performance.now() - t0) / 1000).toFixed(1)}s`);
      last = p.phase;
    });
    if (!res.ok) throw new Error(res.error.message);
    detail = { files: res.value.files, bytes: res.value.bytes, perDrive: res.value.perDrive.map((d) => d.state), phases: phases.join(' ') };
    app.close();
  } else {
    const rep = await verifyPath(join(dir, 'snapA'));
    if (!rep.ok) throw new Error(`verify failed: ${JSON.stringify(rep.problems.slice(0, 5))}`);
    detail = { files: rep.files, bytes: rep.bytes };
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, detail }));
}

function dropCaches(): void {
  spawnSync('sync');
  if (process.getuid?.() === 0) {
    try {
      writeFileSync('/proc/sys/vm/drop_caches', '3');
    } catch {
      /* not permitted (container): measure warm */
    }
  }
}

function timed(cmd: string, args: string[], cwd?: string): number {
  dropCaches();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
  return performance.now() - t0;
}

function runChild(mode: string, dir: string): { ms: number; maxRssKiB: number; detail: unknown } {
  dropCaches();
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, dir], { cwd: repo, encoding: 'utf8', env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ms: number; maxRssKiB: number; detail: unknown };
}

async function main(): Promise<void> {
  const files = Number(process.env['BENCH_FILES'] ?? 5000);
  const kib = Number(process.env['BENCH_FILE_KIB'] ?? 320);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { makeAppliance } = await import('../test/snapshot/fixture.ts');
  const { dataPaths } = await import('../daemon/core/config.ts');

  // Catalog + vault: ballot-image-sized files in tabulator/batch folders (50 per batch).
  process.stdout.write(`generating ${files} files of ${kib} KiB in the vault...\n`);
  const app = makeAppliance(out);
  const block = randomBytes(kib * 1024);
  const insert = app.db.transaction(() => {
    for (let i = 0; i < files; i++) {
      block.writeUInt32BE(i, 0); // every file distinct
      block.writeUInt32BE((i * 2654435761) >>> 0, 4096);
      app.addFile('central-scan', `Tabulator${String(1 + (i % 4)).padStart(5, '0')}/Batch${String(Math.floor(i / 50)).padStart(4, '0')}/Image${String(i).padStart(6, '0')}.tif`, block);
    }
  });
  insert();
  app.close();
  const objects = join(dataPaths(app.config).vault, 'objects');
  const totalBytes = files * kib * 1024;
  mkdirSync(join(out, 'snapA'));
  mkdirSync(join(out, 'snapB'));

  // Baseline: cp -r to A, cp -r to B, sha256sum of every source file.
  const list = readdirSync(objects).flatMap((d) => readdirSync(join(objects, d)).map((f) => join(objects, d, f)));
  writeFileSync(join(out, 'list.txt'), list.join('\n'));
  const cpA = timed('cp', ['-r', objects, join(out, 'baseA')]);
  const cpB = timed('cp', ['-r', objects, join(out, 'baseB')]);
  const sha = timed('sh', ['-c', `xargs -a "${join(out, 'list.txt')}" -d '\\n' sha256sum > "${join(out, 'base-sums.txt')}"`]);
  const baseline = cpA + cpB + sha;
  const syncT0 = performance.now();
  spawnSync('sync');
  const baselineSync = performance.now() - syncT0;

  const snap = runChild('snapshot', out);
  const bagRoot = join(out, 'snapA', 'ballotsafe', 'test-election', 'snapshots');
  const bag = readdirSync(bagRoot)[0] ?? '';
  const shaC = timed('sha256sum', ['-c', '--quiet', 'manifest-sha256.txt'], join(bagRoot, bag));
  const ver = runChild('verify', out);
  mkdirSync(join(out, 'snapC'));
  mkdirSync(join(out, 'snapD'));
  const snapCached = runChild('snapshot-cached', out);

  const mb = (ms: number) => ((totalBytes / 1024 ** 2) / (ms / 1000)).toFixed(0);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const lines = [
    `bench/snapshot: ${files} files, ${(totalBytes / 1e9).toFixed(2)} GB, ${existsSync('/usr/bin/vmtouch') ? 'read-back from the drive (vmtouch evicts cached pages)' : 'read-back through the page cache (vmtouch missing)'}`,
    `baseline cp -r A ${s(cpA)} s + cp -r B ${s(cpB)} s + sha256sum ${s(sha)} s = ${s(baseline)} s   (a final sync took another ${s(baselineSync)} s; not counted)`,
    `snapshot to A and B (fsync, syncfs, read-back of both copies, signed): ${s(snap.ms)} s (${mb(snap.ms)} MiB/s)   ratio ${(snap.ms / baseline).toFixed(2)} (goal <= 0.7)`,
    `  snapshot phases: ${(snap.detail as { phases?: string }).phases ?? ''}`,
    `  for comparison, read-back through the page cache (readBackFromMedia: false, --full onto a new pair): ${s(snapCached.ms)} s, ratio ${(snapCached.ms / baseline).toFixed(2)}`,
    `sha256sum -c manifest-sha256.txt on drive A: ${s(shaC)} s`,
    `ballotsafe verify drive A (every bag, chain, signature, index): ${s(ver.ms)} s   ratio ${(ver.ms / shaC).toFixed(2)} (goal <= 0.4)`,
    `peak RSS: snapshot ${(snap.maxRssKiB / 1024).toFixed(0)} MiB, verify ${(ver.maxRssKiB / 1024).toFixed(0)} MiB`,
    `load average at the end: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()} (${execFileSync('nproc', { encoding: 'utf8' }).trim()} CPUs)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.env['BENCH_KEEP'] !== '1') rmSync(out, { recursive: true, force: true });
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1] ?? '', argv[2] ?? '');
else await main();
