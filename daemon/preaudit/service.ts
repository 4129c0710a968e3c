/**
 * PreauditService: follows the catalog, reads new ballot images on the worker pool (runPreaudit),
 * and compares every read sheet with the importer's CVRs, storing per ballot/contest verdicts in
 * `preaudit_comparisons`. Resumable: sheets already read are skipped (runPreaudit), comparison
 * rows are upserted so their ids stay stable.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../db/database.ts';
import type { NormalizedCvr, NormalizedVote } from '../importer/model.ts';
import { syncImageKeys } from '../importer/imageLinks.ts';
import { LogEvent } from '../log/events.ts';
import { logEvent, type Logger } from '../log/logger.ts';
import { err, ok, operatorError, type Result } from '../result.ts';
import { AlertLog } from '../state/alerts.ts';
import { compareBallot, slotlessWriteIn, type CvrSource } from './compare.ts';
import { cvrSourceFromRecords, optionKey, type VendorKeyMap } from './cvrSource.ts';
import type { StyleLayout } from './layout.ts';
import type { ContestReading } from './marks.ts';
import { runPreaudit, type PoolProgress, type SheetJob } from './pool.ts';
import { readSampleLayouts } from './sampleElection.ts';

export interface PreauditLayouts {
  readonly layouts: readonly StyleLayout[];
  /** Vendor (CVR) contest/option keys → layout ids. */
  readonly keys: VendorKeyMap;
  readonly source: string;
}

const sampleIds = z.object({
  contests: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      dominionId: z.number().optional(),
      writeInDominionIds: z.array(z.number()).optional(),
      options: z.array(z.object({ id: z.string(), name: z.string(), dominionId: z.number().optional() })),
    }),
  ),
});

/**
 * Where the sample-election generator's layouts are for these roots: the generator writes its
 * exports as `<out>/<vendor>` and the layouts as `<out>/truth`, so a root's sibling `truth/`.
 */
export function findSampleTruthDir(rootPaths: readonly string[]): string | undefined {
  for (const r of rootPaths) {
    for (const candidate of [path.join(r, 'truth'), path.join(path.dirname(r), 'truth')]) {
      if (existsSync(path.join(candidate, 'election.json')) && existsSync(path.join(candidate, 'layouts'))) return candidate;
    }
  }
  return undefined;
}

/** Layouts and the CVR key map from a sample election's truth folder (it records the Dominion ids and names). */
export function loadSampleLayouts(truthDir: string): Result<PreauditLayouts> {
  const layouts = readSampleLayouts(truthDir);
  if (!layouts.ok) return layouts;
  try {
    const e = sampleIds.parse(JSON.parse(readFileSync(path.join(truthDir, 'election.json'), 'utf8')));
    const contests = new Map<string, string>();
    const options = new Map<string, string>();
    for (const c of e.contests) {
      // ES&S names contests and choices by their text; Dominion by numeric ids.
      contests.set(c.title, c.id);
      for (const o of c.options) options.set(optionKey(c.title, o.name), o.id);
      // ES&S records a write-in as the choice "Write-in", without its line.
      options.set(optionKey(c.title, 'Write-in'), slotlessWriteIn);
      if (c.dominionId !== undefined) {
        const ck = String(c.dominionId);
        contests.set(ck, c.id);
        for (const o of c.options) if (o.dominionId !== undefined) options.set(optionKey(ck, String(o.dominionId)), o.id);
        (c.writeInDominionIds ?? []).forEach((w, i) => options.set(optionKey(ck, String(w)), `write-in-${i}`));
      }
    }
    return ok({ layouts: [...layouts.value.values()], keys: { contests, options }, source: truthDir });
  } catch (e) {
    return err(
      operatorError(
        'preaudit-sample-layout-invalid',
        `The sample election definition ${truthDir}/election.json could not be read: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}.`,
        'Regenerate the sample election.',
      ),
    );
  }
}

export interface CatalogSheet {
  readonly job: SheetJob;
  readonly imageKey: string | null;
  readonly fileVersionIds: readonly number[];
}

/** Current ballot images of the catalog, grouped into sheets by the importer's image key. */
export function catalogSheets(db: Db, vaultDir: string): CatalogSheet[] {
  syncImageKeys(db);
  const rows = db
    .prepare<[], { id: number; rel_path: string; sha256: string; image_key: string | null }>(
      `SELECT f.id, f.rel_path, f.sha256, k.image_key FROM file_versions f
       LEFT JOIN image_keys k ON k.file_version_id = f.id
       WHERE f.kind = 'ballot-image' AND f.status = 'current' ORDER BY f.root_label, f.rel_path`,
    )
    .all();
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const g = r.image_key ?? `f:${r.id}`;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  return [...groups.entries()].map(([group, rs]) => {
    const ids = rs.map((r) => r.id);
    // The versions are part of the key: a re-exported image is read again.
    return {
      job: { key: `${group}#${ids.join('+')}`, files: rs.map((r) => vaultObjectPath(vaultDir, r.sha256)) },
      imageKey: rs[0]?.image_key ?? null,
      fileVersionIds: ids,
    };
  });
}

/** The active CVR records with an image key, as the importer's normalized model. */
export function loadCvrRecords(db: Db): NormalizedCvr[] {
  const records = db
    .prepare<[], { id: number; tabulator: string | null; batch: string | null; record_id: string | null; cvr_number: string | null; image_key: string; ballot_style: string | null; precinct: string | null; counting_group: string | null; session_type: string | null }>(
      `SELECT r.id, r.tabulator, r.batch, r.record_id, r.cvr_number, r.image_key, r.ballot_style, r.precinct, r.counting_group, r.session_type
       FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       WHERE r.image_key IS NOT NULL ORDER BY r.id`,
    )
    .all();
  const votes = new Map<number, NormalizedVote[]>();
  const vrows = db
    .prepare<[], { cvr_id: number; contest_key: string; option_key: string; rank: number; is_vote: number; is_ambiguous: number; mark_density: number | null }>(
      `SELECT v.cvr_id, v.contest_key, v.option_key, v.rank, v.is_vote, v.is_ambiguous, v.mark_density
       FROM cvr_votes v JOIN cvr_records r ON r.id = v.cvr_id JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'`,
    )
    .all();
  for (const v of vrows) {
    const list = votes.get(v.cvr_id) ?? [];
    list.push({ contestKey: v.contest_key, optionKey: v.option_key, rank: v.rank, isVote: v.is_vote === 1, isAmbiguous: v.is_ambiguous === 1, markDensity: v.mark_density });
    votes.set(v.cvr_id, list);
  }
  return records.map((r) => ({
    tabulator: r.tabulator,
    batch: r.batch,
    recordId: r.record_id,
    cvrNumber: r.cvr_number,
    imageKey: r.image_key,
    ballotStyle: r.ballot_style,
    precinct: r.precinct,
    countingGroup: r.counting_group,
    sessionType: r.session_type,
    votes: votes.get(r.id) ?? [],
  }));
}

export interface CompareSummary {
  readonly ballotsCompared: number;
  readonly ballotsWithoutCvr: number;
  readonly disagreements: number;
  readonly gray: number;
}

/** Compares every read sheet among `sheets` with the CVRs; upserts `preaudit_comparisons`. */
export function compareSheets(db: Db, sheets: readonly CatalogSheet[], layouts: readonly StyleLayout[], cvrs: CvrSource): CompareSummary {
  const seats = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.seats] as const)));
  const titles = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.title] as const)));
  const read = db.prepare<[string], { reading_json: string | null }>(`SELECT reading_json FROM preaudit_sheets WHERE sheet_key = ? AND status = 'read'`);
  const upsert = db.prepare(
    `INSERT INTO preaudit_comparisons (sheet_key, ballot_key, contest_id, contest_title, verdict, image_votes_json, cvr_votes_json, marginal_json,
       image_overvote, cvr_overvote, undervotes, write_ins, compared_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sheet_key, contest_id) DO UPDATE SET ballot_key = excluded.ballot_key, contest_title = excluded.contest_title,
       verdict = excluded.verdict, image_votes_json = excluded.image_votes_json, cvr_votes_json = excluded.cvr_votes_json,
       marginal_json = excluded.marginal_json, image_overvote = excluded.image_overvote, cvr_overvote = excluded.cvr_overvote,
       undervotes = excluded.undervotes, write_ins = excluded.write_ins, compared_at = excluded.compared_at`,
  );
  const fileRow = db.prepare(`INSERT OR REPLACE INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
  let ballotsCompared = 0;
  let ballotsWithoutCvr = 0;
  let disagreements = 0;
  let gray = 0;
  const at = new Date().toISOString();
  db.transaction(() => {
    const keep = new Set<string>();
    for (const s of sheets) {
      keep.add(s.job.key);
      fileRow.run(s.job.key, s.imageKey, JSON.stringify(s.fileVersionIds));
      const row = read.get(s.job.key);
      if (row?.reading_json == null) continue;
      const readings = JSON.parse(row.reading_json) as ContestReading[];
      const ballotKey = s.imageKey ?? s.job.key;
      const cmp = compareBallot(ballotKey, readings, (c) => seats.get(c) ?? 1, cvrs);
      if (!cmp.cvrFound) {
        ballotsWithoutCvr++;
        for (const r of readings) {
          upsert.run(s.job.key, ballotKey, r.contestId, titles.get(r.contestId) ?? r.contestId, 'no-cvr', JSON.stringify(r.overvote ? [] : r.selected), '[]', JSON.stringify(r.marginal), r.overvote ? 1 : 0, 0, r.undervotes, r.writeIns, at);
        }
        continue;
      }
      ballotsCompared++;
      for (const c of cmp.contests) {
        if (c.verdict === 'disagree') disagreements++;
        if (c.verdict === 'gray') gray++;
        upsert.run(
          s.job.key,
          ballotKey,
          c.contestId,
          titles.get(c.contestId) ?? c.contestId,
          c.verdict,
          JSON.stringify(c.imageVotes),
          JSON.stringify(c.cvrVotes),
          JSON.stringify(c.marginal),
          c.imageOvervote ? 1 : 0,
          c.cvrOvervote ? 1 : 0,
          c.undervotes,
          c.writeIns,
          at,
        );
      }
    }
    // Sheets whose images changed or disappeared from the export are no longer compared.
    const stale = db.prepare<[], { sheet_key: string }>(`SELECT DISTINCT sheet_key FROM preaudit_comparisons`).all().filter((r) => !keep.has(r.sheet_key));
    const del = db.prepare(`DELETE FROM preaudit_comparisons WHERE sheet_key = ?`);
    for (const r of stale) del.run(r.sheet_key);
  })();
  return { ballotsCompared, ballotsWithoutCvr, disagreements, gray };
}

export interface PreauditServiceStatus {
  readonly state: 'not-started' | 'running' | 'done' | 'failed';
  readonly imagesDone: number;
  readonly imagesTotal: number;
  readonly ballotsCompared: number;
  readonly disagreements: number;
  readonly updatedAt: string | null;
  readonly message?: string;
}

export interface PreauditServiceOptions {
  readonly db: Db;
  readonly vaultDir: string;
  readonly logger: Logger;
  /** Layouts to read with; else found from `rootPaths` (sample-election truth folder). */
  readonly layouts?: PreauditLayouts;
  readonly rootPaths?: readonly string[];
  readonly intervalMs?: number;
  readonly workers?: number;
}

export interface PassResult extends CompareSummary {
  readonly progress: PoolProgress;
  readonly sheets: readonly CatalogSheet[];
  readonly layouts: PreauditLayouts;
}

export class PreauditService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly abort = new AbortController();
  private lastSignature = '';
  private loaded: PreauditLayouts | undefined;
  /** Option id → name from the layouts (filled once they are loaded), for the web UI. */
  readonly optionNames = new Map<string, string>();
  private current: PreauditServiceStatus = { state: 'not-started', imagesDone: 0, imagesTotal: 0, ballotsCompared: 0, disagreements: 0, updatedAt: null };

  private readonly alerts: AlertLog;
  /** Disagreements already alerted (from the stored results, so a restart does not alert again). */
  private alerted: number;

  constructor(private readonly options: PreauditServiceOptions) {
    this.alerts = new AlertLog(options.db, options.logger);
    this.alerted = options.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM preaudit_comparisons WHERE verdict = 'disagree'`).get()?.n ?? 0;
  }

  /** One alert per sheet this pass could not read (bomb, corrupt file, unknown style, no timing marks). */
  private alertUnreadable(sheets: readonly CatalogSheet[], since: string): void {
    const byKey = new Map(sheets.map((s) => [s.job.key, s]));
    const rows = this.options.db
      .prepare<[string], { sheet_key: string; error_code: string; error_message: string }>(
        `SELECT sheet_key, error_code, error_message FROM preaudit_sheets WHERE status = 'error' AND read_at >= ?`,
      )
      .all(since);
    const name = this.options.db.prepare<[number], { n: string }>(`SELECT root_label || ':' || rel_path AS n FROM file_versions WHERE id = ?`);
    for (const r of rows) {
      const first = byKey.get(r.sheet_key)?.fileVersionIds[0];
      this.alerts.raise({
        severity: 'warning',
        code: r.error_code,
        message: `A ballot image could not be read by the pre-audit: ${r.error_message}`,
        action: 'Look at the image in the catalog; rescan or re-export it. The captured copy is kept as evidence.',
        subject: (first === undefined ? undefined : name.get(first)?.n) ?? r.sheet_key,
      });
    }
  }

  status(): PreauditServiceStatus {
    return this.current;
  }

  private layouts(): Result<PreauditLayouts> {
    if (this.loaded !== undefined) return ok(this.loaded);
    const found = this.findLayouts();
    if (found.ok) {
      this.loaded = found.value;
      for (const l of found.value.layouts) for (const c of l.contests) for (const o of c.options) this.optionNames.set(o.id, o.name);
    }
    return found;
  }

  private findLayouts(): Result<PreauditLayouts> {
    if (this.options.layouts !== undefined) return ok(this.options.layouts);
    const truth = findSampleTruthDir(this.options.rootPaths ?? []);
    if (truth === undefined) {
      return err(
        operatorError(
          'preaudit-no-layouts',
          'The pre-audit has no ballot layouts: no election definition with layouts was found beside the export folders.',
          'Put the election definition with layouts beside the exports; learning styles from the images alone needs a person to map them.',
        ),
      );
    }
    return loadSampleLayouts(truth);
  }

  /** One pass: read new sheets, then compare (again when sheets or CVR imports changed). */
  async runOnce(): Promise<Result<PassResult>> {
    const { db, logger } = this.options;
    const layouts = this.layouts();
    if (!layouts.ok) {
      this.current = { ...this.current, state: 'failed', message: layouts.error.message, updatedAt: new Date().toISOString() };
      return layouts;
    }
    const sheets = catalogSheets(db, this.options.vaultDir);
    const jobs = sheets.map((s) => s.job);
    this.current = { ...this.current, state: 'running', imagesTotal: jobs.length, updatedAt: new Date().toISOString() };
    const doneKeys = new Set(db.prepare<[], { sheet_key: string }>('SELECT sheet_key FROM preaudit_sheets').all().map((r) => r.sheet_key));
    let progress: PoolProgress = { done: jobs.length, total: jobs.length, skipped: jobs.length, errors: 0 };
    const passStart = new Date().toISOString();
    if (jobs.some((j) => !doneKeys.has(j.key))) {
      progress = await runPreaudit(db, jobs, layouts.value.layouts, logger, {
        ...(this.options.workers === undefined ? {} : { workers: this.options.workers }),
        signal: this.abort.signal,
        onProgress: (p) => {
          this.current = { ...this.current, imagesDone: p.done, imagesTotal: p.total, updatedAt: new Date().toISOString() };
        },
      });
    }
    if (progress.errors > 0) this.alertUnreadable(sheets, passStart);
    const sig = `${jobs.length}|${
      db
        .prepare<[], { s: string }>(
          `SELECT (SELECT count(*) || ':' || coalesce(max(read_at), '') FROM preaudit_sheets) || '|' ||
                  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM import_sources WHERE state = 'active') AS s`,
        )
        .get()?.s ?? ''
    }`;
    let summary: CompareSummary;
    if (sig !== this.lastSignature) {
      summary = compareSheets(db, sheets, layouts.value.layouts, cvrSourceFromRecords(loadCvrRecords(db), layouts.value.keys));
      this.lastSignature = sig;
      logEvent(logger, LogEvent.PreauditFinished, { phase: 'compare', ...summary });
      if (summary.disagreements > this.alerted) {
        this.alerts.raise({
          severity: 'warning',
          code: 'preaudit-disagreement',
          message: `The pre-audit found ${summary.disagreements} contest reading(s) on the ballot images that disagree with the CVRs (${summary.disagreements - this.alerted} new).`,
          action: 'Open the pre-audit page, look at each ballot image, and tell the election official; run `ballotsafe preaudit` for the report with image crops.',
          details: { disagreements: summary.disagreements, ballotsCompared: summary.ballotsCompared },
        });
      }
      this.alerted = summary.disagreements;
    } else {
      summary = { ballotsCompared: this.current.ballotsCompared, ballotsWithoutCvr: 0, disagreements: this.current.disagreements, gray: 0 };
    }
    this.current = {
      state: this.abort.signal.aborted ? 'running' : 'done',
      imagesDone: progress.done,
      imagesTotal: progress.total,
      ballotsCompared: summary.ballotsCompared,
      disagreements: summary.disagreements,
      updatedAt: new Date().toISOString(),
      ...(progress.errors > 0 ? { message: `${progress.errors} image(s) could not be read; see the alerts.` } : {}),
    };
    return ok({ ...summary, progress, sheets, layouts: layouts.value });
  }

  start(): void {
    const tick = () => {
      if (this.running !== undefined || this.abort.signal.aborted) return;
      this.running = this.runOnce()
        .catch((e: unknown) => {
          this.current = { ...this.current, state: 'failed', message: e instanceof Error ? e.message : String(e) };
          logEvent(this.options.logger, LogEvent.PreauditFinished, { error: e instanceof Error ? e.message : String(e) }, 'warn');
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs ?? 5000);
  }

  /** Stops handing out sheets; those in flight finish and are stored. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }
}
