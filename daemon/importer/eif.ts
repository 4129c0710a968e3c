import { err, ok, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';
import type { EifRowInput } from './store.ts';
import type { ByteInput } from './jsonStream.ts';
import { isBlankRow, normalizeHeader, readTableRows, type RowHandler, type TableKind } from './tabular.ts';

/**
 * Election Information File in AuditEngine's layout: one row per contest option, with the
 * official names, the names used in the CVR export and on the ballot. An empty contest cell means
 * "same contest as the row above" (the sheet is written for people), so contest-level cells carry down.
 */
const known = {
  officialContest: 'official contest name',
  voteFor: 'vote for',
  officialOption: 'official options',
  party: 'party',
  cvrContest: 'cvr contest name',
  cvrOption: 'cvr options',
  ballotContest: 'ballot contest name',
  ballotOption: 'ballot options',
  ballotDescription: 'ballot descriptions',
} as const;
type Field = keyof typeof known;
const display: Record<Field, string> = {
  officialContest: 'Official_Contest_Name',
  voteFor: 'Vote_for',
  officialOption: 'Official_Options',
  party: 'Party',
  cvrContest: 'CVR_Contest_Name',
  cvrOption: 'CVR_Options',
  ballotContest: 'Ballot_Contest_Name',
  ballotOption: 'Ballot_Options',
  ballotDescription: 'Ballot_Descriptions',
};
const required: readonly Field[] = ['officialContest', 'voteFor', 'officialOption', 'cvrContest', 'cvrOption'];
const carried: readonly Field[] = ['officialContest', 'voteFor', 'cvrContest', 'ballotContest'];

export interface EifSummary {
  readonly rows: readonly EifRowInput[];
  readonly warnings: readonly string[];
}

export function parseEifRows(file: string): { onRow: RowHandler; finish: () => Result<EifSummary> } {
  const warnings: string[] = [];
  const rows: EifRowInput[] = [];
  let columns: Partial<Record<Field, number>> | undefined;
  let extraColumns: { index: number; name: string }[] = [];
  let seen = 0;
  const carry: Partial<Record<Field, string>> = {};

  const onRow: RowHandler = (cells, rowNumber) => {
    seen++;
    if (columns === undefined) {
      const normalized = cells.map(normalizeHeader);
      if (!normalized.includes(known.officialContest)) {
        if (seen > 20) return parseError('import-bad-eif', file, `row ${rowNumber}`, 'a header row with "Official_Contest_Name" within the first 20 rows');
        return undefined;
      }
      const found: Partial<Record<Field, number>> = {};
      extraColumns = [];
      normalized.forEach((h, index) => {
        if (h === '') return;
        const field = (Object.keys(known) as Field[]).find((f) => known[f] === h);
        if (field !== undefined) {
          if (found[field] === undefined) found[field] = index;
          else warnings.push(`${file}: column "${cells[index] ?? ''}" appears twice; the first is used.`);
        } else {
          extraColumns.push({ index, name: (cells[index] ?? '').trim() });
          if (!h.startsWith('ballot summary')) warnings.push(`${file}: unknown column "${(cells[index] ?? '').trim()}" kept but not checked.`);
        }
      });
      const missing = required.filter((f) => found[f] === undefined);
      if (missing.length > 0) {
        return parseError('import-bad-eif', file, `row ${rowNumber} (header)`, `the columns ${missing.map((f) => display[f]).join(', ')}`, 'them missing');
      }
      columns = found;
      return undefined;
    }
    if (isBlankRow(cells)) return undefined;
    const value = (f: Field): string | null => {
      const i = columns?.[f];
      if (i === undefined) return null;
      const v = (cells[i] ?? '').trim();
      return v === '' ? null : v;
    };
    const current: Partial<Record<Field, string | null>> = {};
    const newContest = value('officialContest') !== null;
    for (const f of carried) {
      const v = value(f);
      // A new contest name starts a new block: its other contest cells do not inherit from above.
      current[f] = v ?? (newContest ? null : (carry[f] ?? null));
    }
    if (newContest) for (const f of carried) delete carry[f];
    for (const f of carried) if (current[f] !== null && current[f] !== undefined) carry[f] = current[f] as string;
    const officialContest = current.officialContest ?? null;
    if (officialContest === null) {
      return parseError('import-bad-eif', file, `row ${rowNumber}, column "${display.officialContest}"`, 'a contest name (or a contest above it to carry down)', 'an empty cell');
    }
    let voteFor: number | null = null;
    const vf = current.voteFor ?? null;
    if (vf !== null) {
      if (!/^\d{1,4}$/.test(vf) || Number(vf) < 1) {
        return parseError('import-bad-eif', file, `row ${rowNumber}, column "${display.voteFor}"`, 'a whole number of at least 1', JSON.stringify(vf.slice(0, 40)));
      }
      voteFor = Number(vf);
    }
    const extra: Record<string, string> = {};
    for (const x of extraColumns) {
      const v = (cells[x.index] ?? '').trim();
      if (v !== '') extra[x.name] = v;
    }
    if (rows.length >= 100_000) return parseError('import-bad-eif', file, `row ${rowNumber}`, 'at most 100,000 option rows');
    rows.push({
      rowNumber,
      officialContest,
      voteFor,
      officialOption: value('officialOption'),
      party: value('party'),
      cvrContest: current.cvrContest ?? null,
      cvrOption: value('cvrOption'),
      ballotContest: current.ballotContest ?? null,
      ballotOption: value('ballotOption'),
      extra,
    });
    return undefined;
  };
  const finish = (): Result<EifSummary> => {
    if (columns === undefined) return err(parseError('import-bad-eif', file, undefined, 'a header row with "Official_Contest_Name"', 'none'));
    if (rows.length === 0) return err(parseError('import-bad-eif', file, undefined, 'at least one contest option row', 'none'));
    return ok({ rows, warnings });
  };
  return { onRow, finish };
}

export async function parseEif(path: ByteInput, file: string, kind: TableKind): Promise<Result<EifSummary>> {
  const parser = parseEifRows(file);
  const read = await readTableRows(path, file, kind, parser.onRow);
  if (!read.ok) return read;
  const done = parser.finish();
  if (!done.ok) return done;
  return ok({ rows: done.value.rows, warnings: [...read.value.warnings, ...done.value.warnings] });
}
