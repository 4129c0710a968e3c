/**
 * Memory soak of the daemon (issue #17). Not a test: prints the daemon's RSS over a run.
 *
 *   npx tsx bench/soak.ts [--minutes 6] [--ballots 400] [--snapshot-every 60] [--dir /var/tmp] [--malloc-arena-max 2] [--from-sources]
 *
 * A sample election (Dominion layout) is generated aside, then copied into the watched export
 * folder a little at a time (over 70% of the run; a longer run feeds it again as a new round),
 * while the real daemon (startDaemon, in a child process: bench/soakDaemon.mjs, from the compiled dist/ as the
 * installed command runs it unless --from-sources) captures it, the pre-audit reads the
 * images as they arrive, and a snapshot to two folder drives runs every --snapshot-every seconds.
 * The parent samples the daemon's RSS (and that of any process it starts) once a second.
 * Style learning runs in its own short-lived process (preaudit/learnInChild.ts): "daemon and its processes" counts it.
 * The daemon runs with MALLOC_ARENA_MAX=2, as systemd/ballotsafe.service starts it
 * (`--malloc-arena-max glibc` leaves glibc's default, up to 8 arenas per core, for comparison).
 * Goal: steady RSS < 500 MB (median and 95th percentile after the first minute).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

// ------------------------------------------------------------------ parent: feed and sample

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** RSS in MB of a process and of every process below it (pre-audit helpers, sync, ...). */
function rssOf(pid: number): { own: number; tree: number } {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const rss = (p: number) => {
    try {
      return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  const own = rss(pid);
  let tree = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    tree += rss(p);
    stack.push(...(children.get(p) ?? []));
  }
  return { own, tree };
}

/** process.memoryUsage() of the daemon as one line: what is V8's, what is Buffers/ArrayBuffers, what is neither (worker threads, libvips, glibc, SQLite, wasm). memoryUsage counts the main thread only.. */
function describeBreakdown(m: Record<string, number> | undefined): string {
  if (m === undefined || m.rss === undefined) return 'no breakdown yet';
  const f = (k: string) => (m[k] ?? 0).toFixed(0);
  const native = (m.rss ?? 0) - (m.heapTotal ?? 0) - (m.external ?? 0);
  return `rss ${f('rss')} = main V8 heap ${f('heapTotal')} (used ${f('heapUsed')}) + external ${f('external')} (ArrayBuffers ${f('arrayBuffers')}) + the rest (workers, native) ${native.toFixed(0)} MB; sharp cache ${f('sharpCache')} MB, ${f('sharpFiles')} files, ${f('sharpItems')} operations`;
}

function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '6' },
      ballots: { type: 'string', default: '400' },
      'snapshot-every': { type: 'string', default: '60' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'malloc-arena-max': { type: 'string', default: '2' },
      'from-sources': { type: 'boolean', default: false },
    },
  });
  const snapshotEvery = Math.max(10, Number(values['snapshot-every']));
  // The installed command runs the compiled dist/ (no TypeScript loader in the daemon): built here if stale.
  const fromSources = values['from-sources'];
  if (!fromSources && spawnSync(process.execPath, [join(repo, 'scripts/build-cli.mjs'), '--check']).status !== 0) {
    process.stderr.write('compiling dist/ (scripts/build-cli.mjs), as the installed command runs it ...\n');
    if (spawnSync(process.execPath, [join(repo, 'scripts/build-cli.mjs')], { stdio: 'inherit' }).status !== 0) throw new Error('the build failed');
  }
  const minutes = Number(values.minutes);
  const ballots = Number(values.ballots);
  const work = mkdtempSync(join(values.dir ?? tmpdir(), 'bs-soak-'));
  try {
    const staging = join(work, 'staging');
    process.stderr.write(`generating a sample election (${ballots} ballots) in ${staging} ...\n`);
    const { generateSampleElection } = await import('../scripts/sample-election/generate.ts');
    const generated = await generateSampleElection({ out: staging, seed: 11, ballots, format: 'dominion', discrepancies: { flip: 2, drop: 1, dup: 1, totals: 1 } });
    if (!generated.ok) throw new Error(generated.error.message);
    const sources = filesUnder(staging).sort();
    const root = join(work, 'export');
    mkdirSync(root, { recursive: true });
    const configFile = join(work, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        election: { name: 'soak-election' },
        dataDir: join(work, 'var'),
        roots: [{ label: 'dominion-export', path: root }],
        capture: { settleMs: 500, lowSpaceWarnBytes: 0, minFreeBytes: 0 },
        drives: { mode: 'folders', a: join(work, 'drive-a'), b: join(work, 'drive-b') },
        web: { host: '127.0.0.1', port: 0 },
        log: { level: 'warn' },
      }),
    );

    // As systemd/ballotsafe.service starts the daemon; 'glibc' leaves the variable unset.
    const arenas = values['malloc-arena-max'];
    const arenaEnv: { MALLOC_ARENA_MAX?: string } = arenas === 'glibc' ? {} : { MALLOC_ARENA_MAX: arenas };
    if (arenas === 'glibc') delete process.env.MALLOC_ARENA_MAX;
    const t0 = Date.now();
    const daemon = spawn(process.execPath, [join(here, 'soakDaemon.mjs'), configFile, String(snapshotEvery), ...(fromSources ? ['--from-sources'] : [])], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '64', ...arenaEnv },
    });
    let last: { captured: number; snapshots: number; failed: number; preauditDone: number; preauditState: string; memory?: Record<string, number> } | undefined;
    const breakdowns: { t: number; memory: Record<string, number> }[] = [];
    let buffered = '';
    daemon.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        last = JSON.parse(l) as typeof last;
        if (last?.memory !== undefined) breakdowns.push({ t: Date.now() - t0, memory: last.memory });
      }
    });
    const exited = new Promise<number | null>((r) => daemon.on('exit', (code) => r(code)));

    const endAt = t0 + minutes * 60_000;
    const feedMs = Math.max(60_000, minutes * 60_000 * 0.7);
    const samples: { t: number; own: number; tree: number }[] = [];
    let fed = 0;
    let round = 1;
    let nextPrint = t0 + 30_000;
    process.stderr.write(`soak: ${minutes} min, a snapshot every ${snapshotEvery} s, ${sources.length} files fed over ${(feedMs / 60_000).toFixed(1)} min per round\n`);
    while (Date.now() < endAt && daemon.exitCode === null) {
      // Feed: the share of this round's files due by now, each written under a temp name and renamed.
      const inRound = (Date.now() - t0 - (round - 1) * feedMs) / feedMs;
      const due = Math.min(sources.length, Math.floor(inRound * sources.length));
      const done = fed - (round - 1) * sources.length;
      for (let i = done; i < due; i++) {
        const src = sources[i]!;
        const dest = join(root, `round-${round}`, relative(staging, src));
        mkdirSync(dirname(dest), { recursive: true });
        copyFileSync(src, `${dest}.part`);
        renameSync(`${dest}.part`, dest);
        fed++;
      }
      if (due === sources.length && inRound >= 1) round++;
      const pid = daemon.pid;
      if (pid !== undefined) samples.push({ t: Date.now() - t0, ...rssOf(pid) });
      if (Date.now() >= nextPrint) {
        const s = samples[samples.length - 1];
        process.stderr.write(
          `  ${((Date.now() - t0) / 60_000).toFixed(1)} min: RSS ${s?.own.toFixed(0)} MB (with its processes ${s?.tree.toFixed(0)} MB); fed ${fed}, captured ${last?.captured ?? 0}, pre-audit ${last?.preauditDone ?? 0} images (${last?.preauditState ?? '?'}), snapshots ${last?.snapshots ?? 0} (failed ${last?.failed ?? 0}); load ${loadavg()[0]?.toFixed(1)}\n    ${describeBreakdown(last?.memory)}\n`,
        );
        nextPrint += 30_000;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    daemon.kill('SIGTERM');
    const code = await exited;

    const steady = samples.filter((s) => s.t >= 60_000);
    const own = steady.map((s) => s.own);
    const tree = steady.map((s) => s.tree);
    const peak = Math.max(0, ...samples.map((s) => s.own));
    const rows: [string, string][] = [
      ['run', `${minutes} min, ${samples.length} samples, daemon exit code ${code}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${cpus().length} cores`],
      ['MALLOC_ARENA_MAX', `${arenaEnv.MALLOC_ARENA_MAX ?? "glibc's default (unset)"}${arenas === '2' ? ', as systemd/ballotsafe.service sets it' : ''}`],
      ['daemon ran from', fromSources ? 'the TypeScript sources through tsx (--from-sources)' : 'the compiled dist/, as the installed command runs it'],
      ['fed / captured', `${fed} / ${last?.captured ?? 0} files (${round - 1} full rounds of ${sources.length})`],
      ['pre-audit', `${last?.preauditDone ?? 0} images read (${last?.preauditState ?? '?'})`],
      ['snapshots to folder drives', `${last?.snapshots ?? 0} complete, ${last?.failed ?? 0} failed`],
      ['daemon RSS after the first minute: median / 95th percentile / max', `${percentile(own, 0.5).toFixed(0)} / ${percentile(own, 0.95).toFixed(0)} / ${Math.max(0, ...own).toFixed(0)} MB (goal < 500 MB)`],
      ['daemon and its processes: median / 95th percentile / max', `${percentile(tree, 0.5).toFixed(0)} / ${percentile(tree, 0.95).toFixed(0)} / ${Math.max(0, ...tree).toFixed(0)} MB`],
      ['daemon RSS peak (whole run) / at the end', `${peak.toFixed(0)} / ${(samples[samples.length - 1]?.own ?? 0).toFixed(0)} MB`],
    ];
    const steadyBreakdowns = breakdowns.filter((b) => b.t >= 60_000);
    const atPeak = steadyBreakdowns.reduce<(typeof breakdowns)[number] | undefined>((a, b) => (a === undefined || (b.memory.rss ?? 0) > (a.memory.rss ?? 0) ? b : a), undefined);
    const medianOf = (k: string) => percentile(steadyBreakdowns.map((b) => b.memory[k] ?? 0), 0.5);
    rows.push(
      ['breakdown after the first minute (medians)', describeBreakdown(Object.fromEntries(['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'sharpCache', 'sharpFiles', 'sharpItems'].map((k) => [k, medianOf(k)])))],
      ['breakdown at the highest RSS the daemon reported', `${describeBreakdown(atPeak?.memory)} at ${((atPeak?.t ?? 0) / 60_000).toFixed(1)} min`],
    );
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\nballotsafe memory soak (${new Date().toISOString()}, node ${process.version})\n\n`);
    for (const [a, b] of rows) process.stdout.write(`  ${a.padEnd(w)}  ${b}\n`);
    process.stdout.write('\n');
  } finally {
    if (values.keep) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
