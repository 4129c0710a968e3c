/**
 * Style learning in a child process (learnInChild.ts) on a small generated Dominion election, captured and
 * imported for real: the child learns what learning in the daemon learns; a child killed mid-learning (as
 * the kernel's out-of-memory killer would) is a failed pass with an operator message, the daemon's process
 * carries on and the next pass learns; a stopped pre-audit stops the child. Every test looks for the real
 * child process (under /proc), so none of this can pass with learning left in the daemon.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { CaptureService } from '../capture/captureService.ts';
import { dataPaths, parseConfig, type Config } from '../core/config.ts';
import { silentLogger, type Logger } from '../core/log/logger.ts';
import { importPendingCatalogFiles } from '../importer/service.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { catalogSheets } from './catalogSheet.ts';
import { contestsFromImports } from './contestDefinitions.ts';
import { learnLayoutsInChild } from './learnInChild.ts';
import { learnLayouts, type LearnResult } from './learnLayouts.ts';
import { createOcrEngine } from './ocr.ts';
import { PreauditService } from './service.ts';

const root = mkdtempSync(path.join(tmpdir(), 'preaudit-learn-child-'));
let db: Db;
let config: Config;

beforeAll(async () => {
  const out = path.join(root, 'export');
  const g = await generateSampleElection({ out, seed: 1717, ballots: 12, format: 'dominion', discrepancies: { flip: 0, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  rmSync(path.join(out, 'truth'), { recursive: true, force: true });
  const raw = { election: { name: 't', title: 'T' }, dataDir: 'var', roots: [{ label: 'dominion-export', path: 'export/dominion' }], log: { level: 'silent' } };
  writeFileSync(path.join(root, 'config.json'), JSON.stringify(raw));
  const parsed = parseConfig(raw, root);
  if (!parsed.ok) throw new Error(parsed.error.message);
  config = parsed.value;
  db = openStateDatabase(dataPaths(config).database);
  const capture = new CaptureService({ config, db, logger: silentLogger() });
  await capture.scanAll();
  await capture.settle(10_000);
  const imported = await importPendingCatalogFiles(db, dataPaths(config).vault, silentLogger());
  expect(imported.failures).toEqual([]);
}, 180_000);

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The style-learning processes this test process started (their command line names the child's entry). */
function learningChildren(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== process.pid) continue;
      if (/^State:\s+Z/m.test(status)) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('learnChildEntry.mjs')) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitForLearningChild(): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const [pid] = learningChildren();
    if (pid !== undefined) return pid;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no style-learning child process appeared');
}

/** A logger keeping its lines, to see what the daemon logs. */
function keptLogger(): { logger: Logger; events: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  return { logger, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A learning result without its timings (which differ run to run). */
function withoutTimings(r: LearnResult): unknown {
  return { ...r, registerMs: 0, ocrMs: 0, styles: r.styles.map((s) => ({ ...s, ocrMs: {} })) };
}

describe('style learning in a child process', () => {
  it('a child killed mid-learning fails the pass with words for the operator; the daemon carries on and the next pass learns', async () => {
    const kept = keptLogger();
    const service = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger: kept.logger, workers: 1 });
    const pass = service.runOnce();
    const pid = await waitForLearningChild();
    process.kill(pid, 'SIGKILL');
    const failed = await pass;
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.error.code).toBe('preaudit-learning-failed');
    expect(failed.error.message).toBe('The pre-audit could not learn the ballot styles this time: the learning stopped before it ended.');
    expect(failed.error.action).toContain('tries again');
    expect(failed.error.technician).toContain('SIGKILL');
    expect(service.status().state).toBe('failed');
    expect(kept.events().filter((e) => e['event'] === 'preaudit.learn-process.failed').map((e) => e['signal'])).toEqual(['SIGKILL']);
    expect(learningChildren()).toEqual([]);

    const again = await service.runOnce();
    if (!again.ok) throw new Error(again.error.message);
    // How well the styles are learned is learnLayouts.test.ts's and service.test.ts's business; here: they were learned and stored.
    expect(again.value.layouts.layouts.length).toBeGreaterThanOrEqual(2);
    expect(db.prepare(`SELECT count(*) AS n FROM preaudit_learned_styles`).get()).toEqual({ n: again.value.layouts.layouts.length });
    expect(again.value.ballotsCompared).toBeGreaterThan(0);
    const ended = kept.events().filter((e) => e['event'] === 'preaudit.learn-process.ended');
    expect(ended).toHaveLength(1);
    // It held real memory (decoded pages, tesseract), now given back: the child is gone.
    expect(ended[0]!['peakRssMb']).toBeGreaterThan(50);
    expect(learningChildren()).toEqual([]);
    await service.stop();
  }, 240_000);

  it('learns in the child what learning in the daemon learns', async () => {
    const sheets = catalogSheets(db, dataPaths(config).vault).map((s) => s.job);
    const defs = contestsFromImports(db);
    if (!defs.ok) throw new Error(defs.error.message);
    const phases: string[] = [];
    // A small sample keeps the test quick (OCR runs twice).
    const sample = { maxSheets: 4, pagesPerStyle: 2 };
    const inChild = await learnLayoutsInChild(sheets, defs.value.contests, { ...sample, logger: silentLogger(), ballotTypes: new Map(), onProgress: (p) => phases.push(p.phase) });
    if (!inChild.ok) throw new Error(inChild.error.message);
    const ocr = await createOcrEngine();
    let here: LearnResult;
    try {
      here = await learnLayouts(sheets, defs.value.contests, ocr, sample);
    } finally {
      await ocr.close();
    }
    expect(inChild.value.layouts.length + inChild.value.needsMapping.length).toBeGreaterThanOrEqual(2);
    expect(withoutTimings(inChild.value)).toEqual(withoutTimings(here));
    expect(phases).toContain('sample');
    expect(phases).toContain('ocr');
  }, 240_000);

  it('a stopped pre-audit stops the child', async () => {
    const sheets = catalogSheets(db, dataPaths(config).vault).map((s) => s.job);
    const defs = contestsFromImports(db);
    if (!defs.ok) throw new Error(defs.error.message);
    const abort = new AbortController();
    const learning = learnLayoutsInChild(sheets, defs.value.contests, { logger: silentLogger(), ballotTypes: new Map(), signal: abort.signal });
    const pid = await waitForLearningChild();
    abort.abort();
    const r = await learning;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('preaudit-stopped');
    for (let i = 0; i < 100 && learningChildren().includes(pid); i++) await new Promise((res) => setTimeout(res, 50));
    expect(learningChildren()).toEqual([]);
  }, 120_000);
});
