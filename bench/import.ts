/**
 * Import benchmark: a generated Dominion CVR export of N records (default 1,000,000) in one
 * CvrExport.json, imported into a fresh SQLite database the way the daemon does it (WAL,
 * synchronous=FULL, streamed parse, batched inserts). Prints records/s, peak RSS and, as the
 * baseline measured in the same run, the rate of merely reading the file and JSON.parse-ing each
 * session without storing anything.
 *
 *   npx tsx bench/import.ts [--records 1000000] [--keep]
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../daemon/core/db/database.ts';
import { coreMigrations } from '../daemon/core/db/coreSchema.ts';
import { captureMigrations } from '../daemon/capture/schema.ts';
import { importMigrations } from '../daemon/importer/schema.ts';
import { importLocalFile } from '../daemon/importer/importFile.ts';
import { streamJsonArrayFile } from '../daemon/importer/jsonStream.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, keep: { type: 'boolean', default: false } } });
const total = Number(values.records);
if (!Number.isInteger(total) || total < 1) throw new Error('--records must be a positive integer');

/** Peak resident set size from the kernel (VmHWM), which catches spikes between samples. */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back to sampling
  }
  return process.memoryUsage().rss;
}

/** Deterministic session like the real 5.17 export: 4 contests, one ranked-choice, sometimes adjudicated. */
function session(i: number): string {
  const tab = 10101 + (i % 40);
  const batch = 1 + Math.floor(i / 40 / 250);
  const rec = 1 + Math.floor(i / 40) % 250;
  const m = (cand: number, rank = 1, vote = true) => ({ CandidateId: cand, ManifestationId: cand + 1000, PartyId: 0, Rank: rank, MarkDensity: 80 + (i % 20), IsAmbiguous: false, IsVote: vote, OutstackConditionIds: [] });
  const contests = [
    { Id: 1, ManifestationId: 1, Undervotes: 0, Overvotes: 0, OutstackConditionIds: [], Marks: [m(100 + (i % 4)), m(100 + ((i + 1) % 4), 2), m(100 + ((i + 2) % 4), 3)] },
    { Id: 2, ManifestationId: 2, Undervotes: 0, Overvotes: 0, OutstackConditionIds: [], Marks: [m(110 + (i % 3))] },
    { Id: 3, ManifestationId: 3, Undervotes: 0, Overvotes: 0, OutstackConditionIds: [], Marks: [m(120 + (i % 2))] },
    { Id: 4, ManifestationId: 4, Undervotes: 1, Overvotes: 0, OutstackConditionIds: [4], Marks: [] },
  ];
  const state = (current: boolean) => ({ PrecinctPortionId: 1 + (i % 12), BallotTypeId: 1 + (i % 12), IsCurrent: current, Cards: [{ Id: 1, KeyInId: 1, PaperIndex: 0, Contests: contests, OutstackConditionIds: [] }] });
  const adjudicated = i % 50 === 0;
  return JSON.stringify({
    TabulatorId: tab,
    BatchId: batch,
    RecordId: rec,
    CountingGroupId: 1 + (i % 2),
    ImageMask: `D:\\NAS\\Bench\\Results\\Tabulator${tab}\\Batch${String(batch).padStart(3, '0')}\\Images\\${tab}_${String(batch).padStart(5, '0')}_${String(rec).padStart(6, '0')}*.*`,
    SessionType: 'ScannedVote',
    VotingSessionIdentifier: '',
    UniqueVotingIdentifier: '',
    Original: state(!adjudicated),
    ...(adjudicated ? { Modified: state(true) } : {}),
  });
}

async function generate(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('{"Version":"5.17.18.1","ElectionId":"Benchmark","Sessions":[');
  for (let i = 0; i < total; i += 1000) {
    const n = Math.min(1000, total - i);
    const chunk = Array.from({ length: n }, (_, k) => session(i + k)).join(',');
    if (!out.write(`${i === 0 ? '' : ','}${chunk}`)) await once(out, 'drain');
  }
  out.end(']}');
  await once(out, 'finish');
}

const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-bench-import-'));
try {
  const file = join(dir, 'CvrExport.json');
  const g0 = performance.now();
  await generate(file);
  const size = statSync(file).size;
  process.stdout.write(`generated ${total} records, ${(size / 1e6).toFixed(0)} MB in ${((performance.now() - g0) / 1000).toFixed(1)} s\n`);

  // Baseline: read + split + JSON.parse each session, nothing stored.
  const b0 = performance.now();
  let baselineCount = 0;
  const base = await streamJsonArrayFile(file, { file: 'baseline', arrayKey: 'Sessions', onElement: () => void baselineCount++ });
  const baseSeconds = (performance.now() - b0) / 1000;
  if (!base.ok) throw new Error(base.error.message);
  // Raw read speed, for scale.
  const r0 = performance.now();
  for await (const _ of createReadStream(file, { highWaterMark: 1 << 20 })) void _;
  const readSeconds = (performance.now() - r0) / 1000;

  const db = openDatabase(join(dir, 'bench.db'), [coreMigrations, captureMigrations, importMigrations]);
  const rssBefore = process.memoryUsage().rss;
  let sampledPeak = rssBefore;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }, 100);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await importLocalFile(db, file);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  if (!r.ok) throw new Error(r.error.message);
  const votes = (db.prepare('SELECT count(*) AS n FROM cvr_votes').get() as { n: number }).n;
  db.close();
  const dbSize = statSync(join(dir, 'bench.db')).size;
  const rate = r.value.records / seconds;
  const baseRate = baselineCount / baseSeconds;
  const peak = Math.max(peakRssBytes(), sampledPeak);
  process.stdout.write(
    [
      `file read only:          ${(size / 1e6 / readSeconds).toFixed(0)} MB/s`,
      `baseline (parse only):   ${Math.round(baseRate)} records/s  (${baseSeconds.toFixed(1)} s)`,
      `import (parse + SQLite): ${Math.round(rate)} records/s  (${seconds.toFixed(1)} s, ${r.value.records} records, ${votes} marks, db ${(dbSize / 1e6).toFixed(0)} MB)`,
      `import per CPU second:   ${Math.round(r.value.records / cpuSeconds)} records/s  (${cpuSeconds.toFixed(1)} s CPU; wall-clock rate depends on machine load)`,
      `import / baseline:       ${(rate / baseRate).toFixed(2)}`,
      `peak RSS:                ${(peak / 1048576).toFixed(0)} MB (process, whole run; goal < 300 MB)`,
      '',
    ].join('\n'),
  );
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`kept ${dir}\n`);
}
