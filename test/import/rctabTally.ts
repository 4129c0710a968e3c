import { readFileSync } from 'node:fs';
import type { Db } from '../../daemon/core/db/database.ts';

/** RCTab's expected round-1 tally (candidate name -> votes) from an *_expected_detailed_report.json. */
export function rctabRound1(reportPath: string): Map<string, number> {
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { results: { round: number; tally: Record<string, string> }[] };
  const round1 = report.results.find((r) => r.round === 1);
  if (round1 === undefined) throw new Error(`no round 1 in ${reportPath}`);
  return new Map(Object.entries(round1.tally).filter(([, v]) => Number(v) > 0).map(([k, v]) => [k, Number(v)]));
}

/**
 * Round 1 from the imported votes: per ballot and contest, the counted choice at the lowest rank
 * present (a skipped rank moves on, as RCTab's "skip to next" rule); two choices at that rank, or
 * an overvote the EMS marked when the rule is "exhausts", count for no one. Names come from the
 * imported option names (`rename` maps the EMS's write-in label to RCTab's).
 */
export function importedRound1(db: Db, contestName?: string, overvote: 'exhausts' | 'skipped' = 'skipped', rename: Readonly<Record<string, string>> = {}): Map<string, number> {
  const rows = db
    .prepare<[], { cvr: number; contest: string; rank: number; name: string; contestName: string }>(
      `SELECT v.cvr_id AS cvr, v.contest_key AS contest, v.rank, coalesce(o.name, v.option_key) AS name, coalesce(c.name, v.contest_key) AS contestName
       FROM cvr_votes v JOIN cvr_records r ON r.id = v.cvr_id JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       LEFT JOIN import_options o ON o.source_id = s.id AND o.contest_key = v.contest_key AND o.option_key = v.option_key
       LEFT JOIN import_contests c ON c.source_id = s.id AND c.contest_key = v.contest_key
       WHERE v.is_vote = 1 OR v.option_key = '(overvote)'`,
    )
    .all()
    .filter((r) => contestName === undefined || r.contestName === contestName)
    // RCTab's overvote rule: "exhaust immediately" stops the ballot at an overvoted rank; "always skip" ignores it.
    .filter((r) => r.name !== '(overvote)' || overvote === 'exhausts');
  const ballots = new Map<string, { rank: number; names: Set<string> }>();
  for (const r of rows) {
    const k = `${r.cvr}|${r.contest}`;
    const b = ballots.get(k);
    if (b === undefined || r.rank < b.rank) ballots.set(k, { rank: r.rank, names: new Set([r.name]) });
    else if (r.rank === b.rank) b.names.add(r.name);
  }
  const tally = new Map<string, number>();
  for (const b of ballots.values()) {
    if (b.names.size !== 1) continue;
    const [first] = [...b.names];
    if (first === undefined || first === '(overvote)') continue;
    const name = rename[first] ?? first;
    tally.set(name, (tally.get(name) ?? 0) + 1);
  }
  return tally;
}
