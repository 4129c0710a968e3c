import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import type { OperatorError } from '../core/result.ts';
import type { CvrSink, NormalizedContest, NormalizedCvr, NormalizedLookup, NormalizedOption, NormalizedVote } from './model.ts';

export type SourceFormat =
  | 'dominion-cvr'
  | 'dominion-cvr-zip'
  | 'dominion-cvr-csv'
  /** CVR tables (ES&S, Clear Ballot, Dominion CSV) delivered in a zip archive. */
  | 'cvr-zip'
  | 'dominion-manifest'
  | 'ess-cvr'
  | 'nist-cvr'
  | 'nist-cvr-xml'
  | 'clear-ballot-cvr'
  | 'hart-cvr-xml'
  | 'eif'
  /** A VotingWorks election definition (election.json): contests and options, no votes. */
  | 'vx-election'
  | 'results'
  | 'ignored'
  /** A recognised election format ballotsafe does not read (always 'failed', with the refusal). */
  | 'unsupported'
  /** Looked at and found not to hold election data (listed with why, as a warning). */
  | 'not-election-data';

export interface SourceIdentity {
  readonly fileVersionId: number | null;
  readonly name: string;
  readonly scope: string;
  readonly sha256: string;
  readonly format: SourceFormat;
}

export interface EifRowInput {
  readonly rowNumber: number;
  readonly officialContest: string;
  readonly voteFor: number | null;
  readonly officialOption: string | null;
  readonly party: string | null;
  readonly cvrContest: string | null;
  readonly cvrOption: string | null;
  readonly ballotContest: string | null;
  readonly ballotOption: string | null;
  readonly extra: Readonly<Record<string, string>>;
}

export interface ResultsRowInput {
  readonly rowNumber: number;
  readonly contest: string;
  readonly option: string | null;
  readonly votes: number | null;
  readonly ballotsCast: number | null;
  readonly suppressed: number | null;
}

const flushEvery = 2000;

/**
 * Writes one source's rows. Rows stream in through small transactions (a 2 GB file must not hold
 * one giant transaction open in the daemon's shared connection); the switch from the previous
 * version of the same file to this one happens in a single transaction at the end.
 */
export class SourceWriter implements CvrSink {
  readonly sourceId: number;
  private pending: NormalizedCvr[] = [];
  private count = 0;
  private readonly insertRecord;
  private readonly insertVote;
  private readonly insertStatus;

  constructor(
    readonly db: Db,
    private readonly identity: SourceIdentity,
  ) {
    const info = db
      .prepare(`INSERT INTO import_sources (file_version_id, name, scope, sha256, format, state, started_at, owner) VALUES (?, ?, ?, ?, ?, 'loading', ?, ?)`)
      .run(identity.fileVersionId, identity.name, identity.scope, identity.sha256, identity.format, new Date().toISOString(), thisProcess());
    this.sourceId = Number(info.lastInsertRowid);
    this.insertRecord = db.prepare(
      `INSERT INTO cvr_records (source_id, scope, tabulator, batch, record_id, cvr_number, image_key, ballot_style, precinct, counting_group, session_type)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertVote = db.prepare(
      `INSERT INTO cvr_votes (cvr_id, contest_key, option_key, rank, is_vote, is_ambiguous, mark_density, conditions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertStatus = db.prepare(`INSERT INTO cvr_contest_status (cvr_id, contest_key, undervotes, overvotes, conditions) VALUES (?, ?, ?, ?, ?)`);
  }

  record(cvr: NormalizedCvr): void {
    this.pending.push(cvr);
    this.count++;
    if (this.pending.length >= flushEvery) this.flush();
  }

  get records(): number {
    return this.count;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const { sourceId } = this;
    const scope = this.identity.scope;
    this.db.transaction(() => {
      for (const c of batch) {
        const id = this.insertRecord.run(
          sourceId,
          scope,
          c.tabulator,
          c.batch,
          c.recordId,
          c.cvrNumber,
          c.imageKey,
          c.ballotStyle,
          c.precinct,
          c.countingGroup,
          c.sessionType,
        ).lastInsertRowid;
        for (const v of c.votes) {
          const conditions = v.conditions !== undefined && v.conditions.length > 0 ? v.conditions.join(',') : null;
          this.insertVote.run(id, v.contestKey, v.optionKey, v.rank, v.isVote ? 1 : 0, v.isAmbiguous ? 1 : 0, v.markDensity, conditions);
        }
        for (const st of c.contestStatus ?? []) {
          this.insertStatus.run(id, st.contestKey, st.undervotes, st.overvotes, st.conditions.length > 0 ? st.conditions.join(',') : null);
        }
      }
    })();
  }

  contests(contests: readonly NormalizedContest[], options: readonly NormalizedOption[]): void {
    const c = this.db.prepare(
      `INSERT OR REPLACE INTO import_contests (source_id, scope, contest_key, name, vote_for, num_ranks) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const o = this.db.prepare(
      `INSERT OR REPLACE INTO import_options (source_id, scope, contest_key, option_key, name, party, option_type) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const x of contests) c.run(this.sourceId, this.identity.scope, x.key, x.name, x.voteFor, x.numRanks);
      for (const x of options) o.run(this.sourceId, this.identity.scope, x.contestKey, x.key, x.name, x.party, x.type);
    })();
  }

  lookups(lookups: readonly NormalizedLookup[]): void {
    const l = this.db.prepare(`INSERT OR REPLACE INTO import_lookups (source_id, scope, kind, lookup_key, name) VALUES (?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const x of lookups) l.run(this.sourceId, this.identity.scope, x.kind, x.key, x.name);
    })();
  }

  eifRows(rows: readonly EifRowInput[]): void {
    const s = this.db.prepare(
      `INSERT INTO eif_rows (source_id, row_number, official_contest, vote_for, official_option, party, cvr_contest, cvr_option, ballot_contest, ballot_option, extra_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const r of rows) {
        s.run(
          this.sourceId,
          r.rowNumber,
          r.officialContest,
          r.voteFor,
          r.officialOption,
          r.party,
          r.cvrContest,
          r.cvrOption,
          r.ballotContest,
          r.ballotOption,
          Object.keys(r.extra).length > 0 ? JSON.stringify(r.extra) : null,
        );
      }
    })();
  }

  resultsRows(rows: readonly ResultsRowInput[]): void {
    const s = this.db.prepare(
      `INSERT INTO results_rows (source_id, row_number, contest, option, votes, ballots_cast, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const r of rows) s.run(this.sourceId, r.rowNumber, r.contest, r.option, r.votes, r.ballotsCast, r.suppressed);
    })();
  }

  /**
   * Makes this source the active version of its file; earlier versions are superseded, and so
   * are `alsoSupersede` (other files this one contains entirely, e.g. an older Dominion export).
   */
  commit(records: number, warnings: readonly string[], alsoSupersede: readonly number[] = []): void {
    this.flush();
    this.db.transaction(() => {
      const previous = this.db
        .prepare<[string, number], { id: number }>(`SELECT id FROM import_sources WHERE name = ? AND state = 'active' AND id <> ?`)
        .all(this.identity.name, this.sourceId);
      for (const p of [...previous, ...alsoSupersede.map((id) => ({ id }))]) {
        deleteSourceRows(this.db, p.id);
        this.db.prepare(`UPDATE import_sources SET state = 'superseded' WHERE id = ?`).run(p.id);
      }
      this.db
        .prepare(`UPDATE import_sources SET state = 'active', records = ?, warnings_json = ?, finished_at = ? WHERE id = ?`)
        .run(records, warnings.length > 0 ? JSON.stringify(warnings.slice(0, 200)) : null, new Date().toISOString(), this.sourceId);
    })();
  }

  /** Keeps the file listed but counts nothing from it (a copy of an export already imported). */
  commitIgnored(warning: string): void {
    this.flush();
    this.db.transaction(() => {
      deleteSourceRows(this.db, this.sourceId);
      this.db.prepare(`UPDATE import_sources SET format = 'ignored' WHERE id = ?`).run(this.sourceId);
    })();
    this.commit(0, [warning]);
  }

  /** Removes whatever this source wrote; earlier versions of the file stay active. */
  fail(error: OperatorError): void {
    this.pending = [];
    this.db.transaction(() => {
      deleteSourceRows(this.db, this.sourceId);
      this.db
        .prepare(`UPDATE import_sources SET state = 'failed', error_json = ?, finished_at = ? WHERE id = ?`)
        .run(JSON.stringify(error), new Date().toISOString(), this.sourceId);
    })();
  }
}

export function deleteSourceRows(db: Db, sourceId: number): void {
  db.prepare(`DELETE FROM cvr_votes WHERE cvr_id IN (SELECT id FROM cvr_records WHERE source_id = ?)`).run(sourceId);
  db.prepare(`DELETE FROM cvr_contest_status WHERE cvr_id IN (SELECT id FROM cvr_records WHERE source_id = ?)`).run(sourceId);
  for (const table of ['cvr_records', 'import_contests', 'import_options', 'import_lookups', 'eif_rows', 'results_rows']) {
    db.prepare(`DELETE FROM ${table} WHERE source_id = ?`).run(sourceId);
  }
}

/** "<boot id>:<pid>" of this process: a pid alone could be reused after a reboot. */
function thisProcess(): string {
  return `${bootId()}:${process.pid}`;
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown-boot';
    }
  }
  return cachedBootId;
}

/** Whether the process that owns a 'loading' source is still running (it may be importing now). */
function ownerAlive(owner: string | null): boolean {
  if (owner === null) return false;
  const i = owner.lastIndexOf(':');
  if (owner.slice(0, i) !== bootId()) return false;
  const pid = Number(owner.slice(i + 1));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * After a crash, power loss or kill mid-import: drop the partial rows and mark those sources
 * failed so they are retried. Runs when the daemon's import service starts and before every
 * `import` and `check`; an import a live process is still writing is left alone.
 */
export function recoverInterruptedImports(db: Db): number {
  const loading = db
    .prepare<[], { id: number; owner: string | null }>(`SELECT id, owner FROM import_sources WHERE state = 'loading'`)
    .all()
    .filter((l) => !ownerAlive(l.owner));
  for (const l of loading) {
    db.transaction(() => {
      deleteSourceRows(db, l.id);
      db.prepare(`UPDATE import_sources SET state = 'failed', error_json = ?, finished_at = ? WHERE id = ?`).run(
        JSON.stringify({ code: 'import-interrupted', message: 'The import was interrupted (power loss or restart).', action: 'It is retried automatically.' }),
        new Date().toISOString(),
        l.id,
      );
    })();
  }
  return loading.length;
}

// ---- Reads for the pre-audit: only active sources count ----

/** The active CVR records with an image key, as the importer's normalized model. */
export function activeCvrsWithImageKey(db: Db): NormalizedCvr[] {
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

/** The image key (CVR join key) of each catalog image file linked so far (imageLinks.ts links them). */
export function imageKeysByFileVersion(db: Db): Map<number, string | null> {
  return new Map(db.prepare<[], { id: number; key: string | null }>('SELECT file_version_id AS id, image_key AS key FROM image_keys').all().map((r) => [r.id, r.key]));
}

/** Changes whenever a source becomes active or stops being so. */
export function activeImportsSignature(db: Db): string {
  return db.prepare<[], { s: string }>(`SELECT count(*) || ':' || coalesce(max(id), 0) AS s FROM import_sources WHERE state = 'active'`).get()?.s ?? '';
}

/** Image key → the CVR's ballot type (Dominion BallotTypeId) and the contests it has marks in, for the active records that name a type. */
export function activeBallotTypesByImageKey(db: Db): Map<string, { ballotType: string; contestKeys: string[] }> {
  const rows = db
    .prepare<[], { image_key: string; ballot_style: string; contests: string }>(
      `SELECT r.image_key, r.ballot_style,
              (SELECT json_group_array(contest_key) FROM (SELECT DISTINCT contest_key FROM cvr_votes WHERE cvr_id = r.id)) AS contests
         FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
        WHERE r.image_key IS NOT NULL AND r.ballot_style IS NOT NULL ORDER BY r.id`,
    )
    .all();
  return new Map(rows.map((r) => [r.image_key, { ballotType: r.ballot_style, contestKeys: contestKeyList.parse(JSON.parse(r.contests)) }]));
}

const contestKeyList = z.array(z.string());
