/**
 * `verify` of a snapshot drive against `sha256sum -c manifest-sha256.txt` of the same bag, measured
 * in the same run, alternately, `--repeat` times (medians printed; the machine may be shared).
 *
 *   npx tsx bench/verify.ts [--files 5000] [--kib 320] [--repeat 3] [--dir bench/out/verify] [--keep]
 *
 * The drive (one folder, as a snapshot writes it: 5000 files of 320 KiB = 1.6 GB by default) is
 * written once by the snapshot engine; `--keep` leaves it for the next run, which then reuses it.
 * Page cache is dropped before every timed step (root only) so each reads the drive cold.
 * Verify runs in a child process with the thread pool the `ballotsafe` command sets (64), timed
 * inside the child around verifyPath (start-up excluded; the whole-process time is printed too).
 * Goal (issue 17): verify <= 0.4 x sha256sum -c. Not part of `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..');

interface ChildResult {
  ms: number;
  maxRssKiB: number;
  files: number;
  bytes: number;
}

async function child(drive: string): Promise<void> {
  const { verifyPath } = await import('../daemon/snapshot/verify.ts');
  const t0 = performance.now();
  const rep = await verifyPath(drive);
  const ms = performance.now() - t0;
  if (!rep.ok) throw new Error(`verify failed: ${JSON.stringify(rep.problems.slice(0, 5))}`);
  const out: ChildResult = { ms, maxRssKiB: process.resourceUsage().maxRSS, files: rep.files, bytes: rep.bytes };
  process.stdout.write(JSON.stringify(out));
}

let cachesDropped = process.getuid?.() === 0;
function dropCaches(): void {
  spawnSync('sync');
  if (!cachesDropped) return;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch {
    cachesDropped = false; // not permitted (container): every step runs warm
  }
}

function timed(cmd: string, args: string[], cwd: string): number {
  dropCaches();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
  return performance.now() - t0;
}

function runVerify(drive: string): ChildResult & { wholeMs: number } {
  dropCaches();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', drive], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent', UV_THREADPOOL_SIZE: '64' },
    maxBuffer: 1 << 24,
  });
  const wholeMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`verify child failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as ChildResult), wholeMs };
}

/** Writes the drive with the snapshot engine (read-back through the page cache: only the drive matters here). */
async function makeDrive(dir: string, files: number, kib: number): Promise<void> {
  const { makeAppliance, folderDrives } = await import('../test/snapshot/fixture.ts');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'driveA'), { recursive: true });
  mkdirSync(join(dir, 'driveB'), { recursive: true });
  const app = makeAppliance(join(dir, 'appliance'));
  const block = randomBytes(kib * 1024);
  app.db.transaction(() => {
    for (let i = 0; i < files; i++) {
      block.writeUInt32BE(i, 0); // every file distinct
      block.writeUInt32BE((i * 2654435761) >>> 0, 4096);
      app.addFile('central-scan', `Tabulator${String(1 + (i % 4)).padStart(5, '0')}/Batch${String(Math.floor(i / 50)).padStart(4, '0')}/Image${String(i).padStart(6, '0')}.tif`, block);
    }
  })();
  const res = await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 'bench', drives: folderDrives(join(dir, 'driveA'), join(dir, 'driveB')) }, () => undefined);
  app.close();
  if (!res.ok) throw new Error(res.error.message);
  rmSync(join(dir, 'driveB'), { recursive: true, force: true });
  rmSync(join(dir, 'appliance'), { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '5000' },
      kib: { type: 'string', default: '320' },
      repeat: { type: 'string', default: '3' },
      dir: { type: 'string', default: join(here, 'out', 'verify') },
      keep: { type: 'boolean', default: false },
    },
  });
  const dir = resolve(values.dir);
  const files = Number(values.files);
  const drive = join(dir, 'driveA');
  const bagRoot = join(drive, 'ballotsafe', 'test-election', 'snapshots');
  if (!existsSync(bagRoot)) {
    process.stderr.write(`writing a drive of ${files} files of ${values.kib} KiB to ${drive} ...\n`);
    await makeDrive(dir, files, Number(values.kib));
  }
  const bag = join(bagRoot, readdirSync(bagRoot)[0] ?? '');
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rows: string[] = [];
  const runs: Array<{ sha: number; ver: ChildResult & { wholeMs: number }; load: number }> = [];
  for (let i = 0; i < Math.max(1, Number(values.repeat)); i++) {
    const load = Number(execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ')[0]);
    const sha = timed('sha256sum', ['-c', '--quiet', 'manifest-sha256.txt'], bag);
    const ver = runVerify(drive);
    runs.push({ sha, ver, load });
    rows.push(
      `run ${i + 1} (load ${load.toFixed(1)}): sha256sum -c ${s(sha)}; verify ${s(ver.ms)} (whole process ${s(ver.wholeMs)}, ${ver.files} files, ${(ver.bytes / 1e9).toFixed(2)} GB, ${(ver.bytes / 1024 ** 2 / (ver.ms / 1000)).toFixed(0)} MiB/s, peak RSS ${(ver.maxRssKiB / 1024).toFixed(0)} MiB)   ratio ${(ver.ms / sha).toFixed(2)}`,
    );
  }
  rows.push(
    `median ratio verify / sha256sum -c: ${median(runs.map((r) => r.ver.ms / r.sha)).toFixed(2)} (goal <= 0.4); whole process: ${median(runs.map((r) => r.ver.wholeMs / r.sha)).toFixed(2)}`,
    `load average (1 min) at the runs: ${runs.map((r) => r.load.toFixed(1)).join(', ')} (${execFileSync('nproc', { encoding: 'utf8' }).trim()} CPUs); ${cachesDropped ? 'page cache dropped before every step' : 'caches NOT dropped: every step ran warm'}`,
  );
  process.stdout.write(`bench/verify: ${files} files\n${rows.join('\n')}\n`);
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1] ?? '');
else await main();
