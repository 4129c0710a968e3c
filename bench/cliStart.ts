/**
 * How fast the `ballotsafe` command starts, and `verify` of a drive against `sha256sum -c`, both
 * measured in the same run on the same machine.
 *
 *   npx tsx bench/cliStart.ts         (BENCH_FILES=5000 BENCH_FILE_KIB=320: a 1.6 GB drive)
 *   BENCH_FILES=0 npx tsx bench/cliStart.ts      only the start
 *
 * 1. `ballotsafe help` (node bin/ballotsafe.js help, the compiled build): median of 10 runs, wall
 *    time, CPU time and peak RSS, with `node -e 0` beside it. Goal <= 0.25 s and <= 60 MB.
 *    The same from the TypeScript sources (what runs while dist/ is missing or stale), median of 5.
 * 2. The whole `ballotsafe verify <drive>` command (start included) against
 *    `sha256sum -c manifest-sha256.txt` of the same bag, page cache dropped before each (root).
 *    Goal <= 0.4.
 * Wall times on a shared machine swing with its load; CPU time swings less. Not part of `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..');
const out = join(here, 'out', 'cli-start');
const usageFile = join(out, 'usage.json');

interface Run {
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssKiB: number;
}

function dropCaches(): void {
  spawnSync('sync');
  if (process.getuid?.() !== 0) return;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch {
    /* not permitted (container): measured warm */
  }
}

/** One node process, with its peak RSS and CPU time written by bench/exitUsage.cjs as it exits. */
function nodeRun(args: readonly string[], env: NodeJS.ProcessEnv = {}, cold = false): Run {
  if (cold) dropCaches();
  rmSync(usageFile, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', join(here, 'exitUsage.cjs'), ...args], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString()}`);
  const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKiB: number; cpuMs: number };
  return { ms, ...u };
}

function median(runs: readonly Run[]): Run {
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return { ms: mid(runs.map((r) => r.ms)), cpuMs: mid(runs.map((r) => r.cpuMs)), maxRssKiB: mid(runs.map((r) => r.maxRssKiB)) };
}

function times(n: number, f: () => Run): Run {
  return median(Array.from({ length: n }, f));
}

const show = (r: Run) => `${(r.ms / 1000).toFixed(3)} s wall, ${(r.cpuMs / 1000).toFixed(3)} s CPU, ${(r.maxRssKiB / 1024).toFixed(0)} MB RSS`;

/** A snapshot of `files` distinct files on a folder drive; returns the drive and its bag. */
async function makeDrive(files: number, kib: number): Promise<{ drive: string; bag: string }> {
  const { makeAppliance, folderDrives } = await import('../test/snapshot/fixture.ts');
  const app = makeAppliance(out);
  const block = randomBytes(kib * 1024);
  app.db.transaction(() => {
    for (let i = 0; i < files; i++) {
      block.writeUInt32BE(i, 0); // every file distinct
      app.addFile('central-scan', `Tabulator${String(1 + (i % 4)).padStart(5, '0')}/Batch${String(Math.floor(i / 50)).padStart(4, '0')}/Image${String(i).padStart(6, '0')}.tif`, block);
    }
  })();
  const drive = join(out, 'snapA');
  mkdirSync(drive);
  mkdirSync(join(out, 'snapB'));
  const res = await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 'bench', drives: folderDrives(drive, join(out, 'snapB')) });
  app.close();
  if (!res.ok) throw new Error(res.error.message);
  rmSync(join(out, 'snapB'), { recursive: true, force: true });
  const bags = join(drive, 'ballotsafe', 'test-election', 'snapshots');
  return { drive, bag: join(bags, readdirSync(bags)[0] ?? '') };
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const fresh = spawnSync(process.execPath, ['scripts/build-cli.mjs', '--check'], { cwd: repo }).status === 0;
  if (!fresh) execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: repo, stdio: 'inherit' });

  const bin = join(repo, 'bin', 'ballotsafe.js');
  const baseline = times(10, () => nodeRun(['-e', '0']));
  const help = times(10, () => nodeRun([bin, 'help']));
  const helpFromSources = times(5, () => nodeRun([bin, 'help'], { BALLOTSAFE_FROM_SOURCES: '1' }));
  const lines = [
    `bench/cliStart: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} CPUs, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the start`,
    `node -e 0                         median of 10: ${show(baseline)}`,
    `ballotsafe help (compiled)        median of 10: ${show(help)}   goal <= 0.25 s and <= 60 MB; ${((help.ms - baseline.ms) / 1000).toFixed(3)} s more than node -e 0`,
    `ballotsafe help (from sources)    median of 5:  ${show(helpFromSources)}   (dist/ missing or stale)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const files = Number(process.env['BENCH_FILES'] ?? 5000);
  const kib = Number(process.env['BENCH_FILE_KIB'] ?? 320);
  if (files > 0) {
    process.stdout.write(`writing a snapshot of ${files} files of ${kib} KiB onto a folder drive...\n`);
    const { drive, bag } = await makeDrive(files, kib);
    const shaRuns: number[] = [];
    const verifyRuns: Run[] = [];
    for (let i = 0; i < 2; i++) {
      dropCaches();
      const t0 = performance.now();
      const sha = spawnSync('sha256sum', ['-c', '--quiet', 'manifest-sha256.txt'], { cwd: bag, stdio: 'ignore' });
      if (sha.status !== 0) throw new Error('sha256sum -c failed');
      shaRuns.push(performance.now() - t0);
      verifyRuns.push(nodeRun([bin, 'verify', drive], {}, true));
    }
    const sha = [...shaRuns].sort((a, b) => a - b)[0] ?? NaN;
    const ver = verifyRuns.reduce((a, b) => (b.ms < a.ms ? b : a));
    const gb = (files * kib * 1024) / 1e9;
    process.stdout.write(
      [
        `drive: ${files} files, ${gb.toFixed(2)} GB, caches dropped before each run; best of 2`,
        `sha256sum -c manifest-sha256.txt: ${(sha / 1000).toFixed(2)} s (${(gb / (sha / 1000)).toFixed(2)} GB/s)`,
        `ballotsafe verify <drive> (whole command, start included): ${show(ver)} (${(gb / (ver.ms / 1000)).toFixed(2)} GB/s)   ratio ${(ver.ms / sha).toFixed(2)} (goal <= 0.4)`,
      ].join('\n') + '\n',
    );
  }
  if (process.env['BENCH_KEEP'] !== '1') rmSync(out, { recursive: true, force: true });
}

await main();
