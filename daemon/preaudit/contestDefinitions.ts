/**
 * The election's contests and options as the importer stored them (Dominion Contest/Candidate
 * manifests, ES&S CVR columns and choices, the Election Information File, a VotingWorks
 * election.json), for the OCR matcher.
 * Contest and option ids are the vendor's own CVR keys, so learned layouts compare with the CVRs
 * without translation; only write-ins are renamed to the layout's `write-in-<n>` slots.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../core/db/database.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { activeContestsInOrder, activeEifRows, activeOptionsInOrder, definingSources } from '../importer/activeRows.ts';
import { slotlessWriteIn } from './compare.ts';
import { optionKey, type VendorKeyMap } from './cvrSource.ts';
import { type ContestDefinition, writeInOptionId } from './layout.ts';
import { normalizeText } from './ocr.ts';

export interface ElectionContests {
  readonly contests: readonly ContestDefinition[];
  /** Vendor (CVR) keys → layout ids: identity, except write-ins. */
  readonly keys: VendorKeyMap;
  /** SHA-256 of the definitions: learned layouts are cached under it. */
  readonly signature: string;
  /** Import sources the definitions came from, for messages. */
  readonly sources: readonly string[];
}

interface Contest {
  key: string;
  title: string;
  seats: number | null;
  options: { key: string; name: string }[];
  /** Write-in option keys in the vendor's order. */
  writeIns: string[];
  /** The CVR names write-ins without a line (ES&S "Write-in"). */
  slotless: boolean;
}

const isWriteIn = (name: string, type: string | null) => /write[- ]?in/i.test(type ?? '') || /^write[- ]?in$/i.test(name.trim());

/** Builds the contest definitions from the active imports; an error when nothing was imported yet. */
export function contestsFromImports(db: Db): Result<ElectionContests> {
  const contests = new Map<string, Contest>();
  const sources = definingSources(db);
  const contestRows = activeContestsInOrder(db);
  for (const r of contestRows) {
    if (contests.has(r.contest_key)) continue;
    contests.set(r.contest_key, { key: r.contest_key, title: r.name, seats: r.vote_for, options: [], writeIns: [], slotless: r.format === 'ess-cvr' });
  }
  const optionRows = activeOptionsInOrder(db);
  for (const r of optionRows) {
    const c = contests.get(r.contest_key);
    if (c === undefined) continue;
    if (isWriteIn(r.name, r.option_type)) {
      if (!c.writeIns.includes(r.option_key)) c.writeIns.push(r.option_key);
    } else if (!c.options.some((o) => o.key === r.option_key)) c.options.push({ key: r.option_key, name: r.name });
  }
  // The EIF names what the ballot prints (and options no CVR row happened to choose).
  const eifRows = activeEifRows(db);
  const byName = (name: string) => [...contests.values()].find((c) => normalizeText(c.title) === normalizeText(name));
  for (const r of eifRows) {
    const cvrContest = r.cvr_contest ?? r.official_contest;
    let c = contests.get(cvrContest) ?? byName(cvrContest) ?? byName(r.official_contest);
    if (c === undefined) {
      c = { key: cvrContest, title: r.ballot_contest ?? r.official_contest, seats: r.vote_for, options: [], writeIns: [], slotless: true };
      contests.set(c.key, c);
    }
    c.seats ??= r.vote_for;
    const printed = r.ballot_option ?? r.official_option;
    const cvrOption = r.cvr_option ?? r.official_option;
    if (printed === null || cvrOption === null) continue;
    if (isWriteIn(printed, null)) {
      // Dominion numbers its write-in candidates; an EIF line adds none where the manifest has them.
      if (c.writeIns.length === 0) {
        c.writeIns.push(cvrOption);
        c.slotless = true;
      }
      continue;
    }
    const known = c.options.find((o) => o.key === cvrOption || normalizeText(o.name) === normalizeText(cvrOption) || normalizeText(o.name) === normalizeText(printed));
    if (known !== undefined) known.name = printed;
    else c.options.push({ key: cvrOption, name: printed });
  }
  if (contests.size === 0) {
    return err(
      operatorError(
        'preaudit-no-contests',
        'The pre-audit cannot map ballot styles yet: no contest names have been imported (Dominion manifests, an ES&S CVR export, an Election Information File or a VotingWorks election definition).',
        'Put the EMS export with its manifests, or the Election Information File, in a watched folder; the pre-audit starts once it is imported.',
      ),
    );
  }
  const contestMap = new Map<string, string>();
  const optionMap = new Map<string, string>();
  const defs: ContestDefinition[] = [];
  for (const c of contests.values()) {
    contestMap.set(c.key, c.key);
    for (const o of c.options) optionMap.set(optionKey(c.key, o.key), o.key);
    if (c.slotless) for (const w of c.writeIns) optionMap.set(optionKey(c.key, w), slotlessWriteIn);
    else
      [...c.writeIns]
        .sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b)))
        .forEach((w, i) => optionMap.set(optionKey(c.key, w), writeInOptionId(i)));
    defs.push({ id: c.key, title: c.title, seats: Math.max(1, c.seats ?? 1), options: c.options.map((o) => ({ id: o.key, name: o.name })), allowWriteIns: c.writeIns.length > 0 });
  }
  const signature = createHash('sha256').update(JSON.stringify({ defs, keys: [...optionMap.entries()].sort() })).digest('hex');
  return ok({ contests: defs, keys: { contests: contestMap, options: optionMap }, signature, sources: sources.map((s) => s.name) });
}
