import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { decodeBuffer, looksBinary } from './encoding.ts';
import { describeValue, internalParseError, parseError } from './errors.ts';
import { dominionImageKey, imageKeyFromMask } from './imageKeys.ts';
import { streamJsonArrayFile, type ByteInput } from './jsonStream.ts';
import type { CvrSink, LookupKind, NormalizedContest, NormalizedContestStatus, NormalizedLookup, NormalizedOption, NormalizedVote } from './model.ts';

/**
 * Dominion Democracy Suite CVR export (5.x JSON): CvrExport.json / CvrExport_<n>.json with
 * Sessions, plus manifests that name the numeric ids (ContestManifest, CandidateManifest, ...).
 * Format per the vendor's "CVR export file format" description.
 */

const idSchema = z.number().int().nonnegative();

const markSchema = z.object({
  CandidateId: idSchema,
  Rank: z.number().int().min(1).max(1000).optional(),
  IsVote: z.boolean(),
  IsAmbiguous: z.boolean().optional(),
  MarkDensity: z.number().optional(),
  OutstackConditionIds: z.array(idSchema).max(100).optional(),
});

const contestSchema = z.object({
  Id: idSchema,
  Marks: z.array(markSchema),
  Undervotes: z.number().int().nonnegative().optional(),
  Overvotes: z.number().int().nonnegative().optional(),
  OutstackConditionIds: z.array(idSchema).max(100).optional(),
});

const cardSchema = z.object({
  Contests: z.array(contestSchema),
});

const ballotStateSchema = z.object({
  PrecinctPortionId: idSchema.optional(),
  BallotTypeId: idSchema.optional(),
  IsCurrent: z.boolean().optional(),
  // 5.10+ nests contests in Cards; older exports put Contests directly here.
  Cards: z.array(cardSchema).optional(),
  Contests: z.array(contestSchema).optional(),
});

const sessionSchema = z.object({
  TabulatorId: idSchema,
  BatchId: idSchema,
  RecordId: z.union([idSchema, z.string().min(1).max(64)]),
  CountingGroupId: idSchema.optional(),
  ImageMask: z.string().max(4096).optional(),
  SessionType: z.string().max(200).optional(),
  Original: ballotStateSchema,
  Modified: ballotStateSchema.optional(),
});

type BallotState = z.infer<typeof ballotStateSchema>;

/** Turns the first zod issue into "<file> at Sessions[3].Original.IsCurrent: expected boolean, found ...". */
export function zodIssueError(code: string, file: string, prefix: string, error: z.ZodError, value: unknown): OperatorError {
  const issue = error.issues[0];
  if (issue === undefined) return parseError(code, file, prefix, 'valid data');
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  let found: unknown = value;
  for (const p of issue.path) {
    if (found !== null && typeof found === 'object') found = (found as Record<string | number, unknown>)[p as string | number];
    else found = undefined;
  }
  const expected =
    issue.code === 'invalid_type'
      ? `${String(issue.path[issue.path.length - 1] ?? 'value')} to be ${issue.expected}`
      : issue.code === 'unrecognized_keys'
        ? 'only known keys'
        : // zod says 'Invalid input: expected "CVR.CVR"'; parseError adds its own "expected".
          issue.message.replace(/^Invalid (input|option): /, '').replace(/^expected /, '');
  return parseError(code, file, `${prefix}${path}`, expected, describeValue(found));
}

export interface DominionCvrSummary {
  readonly records: number;
  readonly version: string | null;
  readonly electionId: string | null;
  readonly warnings: readonly string[];
}

function pickCurrent(original: BallotState, modified: BallotState | undefined): { state: BallotState; clear: boolean } {
  if (modified !== undefined && modified.IsCurrent === true) return { state: modified, clear: true };
  if (original.IsCurrent === true || (modified === undefined && original.IsCurrent === undefined)) return { state: original, clear: true };
  if (modified !== undefined) return { state: modified, clear: modified.IsCurrent !== false || original.IsCurrent === undefined };
  return { state: original, clear: false };
}

function contestsOf(state: BallotState): z.infer<typeof contestSchema>[] {
  return state.Cards !== undefined ? state.Cards.flatMap((c) => c.Contests) : (state.Contests ?? []);
}

/** Per-contest Undervotes/Overvotes and outstack conditions, when the export gives them. */
function statusOf(state: BallotState): NormalizedContestStatus[] {
  return contestsOf(state)
    .filter((c) => c.Undervotes !== undefined || c.Overvotes !== undefined || (c.OutstackConditionIds ?? []).length > 0)
    .map((c) => ({
      contestKey: String(c.Id),
      undervotes: c.Undervotes ?? null,
      overvotes: c.Overvotes ?? null,
      conditions: (c.OutstackConditionIds ?? []).map(String),
    }));
}

function votesOf(state: BallotState): NormalizedVote[] {
  const votes: NormalizedVote[] = [];
  for (const contest of contestsOf(state)) {
    const contestKey = String(contest.Id);
    for (const mark of contest.Marks) {
      votes.push({
        contestKey,
        optionKey: String(mark.CandidateId),
        rank: mark.Rank ?? 1,
        isVote: mark.IsVote,
        isAmbiguous: mark.IsAmbiguous ?? false,
        markDensity: mark.MarkDensity ?? null,
        conditions: (mark.OutstackConditionIds ?? []).map(String),
      });
    }
  }
  return votes;
}

/** Streams a CvrExport*.json into the sink; never throws. */
export async function parseDominionCvrExport(path: ByteInput, file: string, sink: CvrSink): Promise<Result<DominionCvrSummary>> {
  const warnings: string[] = [];
  let records = 0;
  const streamed = await streamJsonArrayFile(path, {
    file,
    arrayKey: 'Sessions',
    onElement(value, index) {
      const parsed = sessionSchema.safeParse(value);
      if (!parsed.success) return zodIssueError('import-bad-dominion-cvr', file, `Sessions[${index}]`, parsed.error, value);
      const s = parsed.data;
      if (s.Original.Cards === undefined && s.Original.Contests === undefined) {
        return parseError('import-bad-dominion-cvr', file, `Sessions[${index}].Original`, 'a "Cards" or "Contests" list');
      }
      const { state, clear } = pickCurrent(s.Original, s.Modified);
      if (!clear && warnings.length < 100) {
        warnings.push(`${file} Sessions[${index}]: neither Original nor Modified is marked IsCurrent; used ${state === s.Modified ? 'Modified' : 'Original'}.`);
      }
      const recordId = String(s.RecordId);
      sink.record({
        tabulator: String(s.TabulatorId),
        batch: String(s.BatchId),
        recordId,
        cvrNumber: null,
        imageKey:
          (s.ImageMask !== undefined ? imageKeyFromMask(s.ImageMask) : null) ??
          (/^\d+$/.test(recordId) ? dominionImageKey(s.TabulatorId, s.BatchId, recordId) : null),
        ballotStyle: state.BallotTypeId === undefined ? null : String(state.BallotTypeId),
        precinct: state.PrecinctPortionId === undefined ? null : String(state.PrecinctPortionId),
        countingGroup: s.CountingGroupId === undefined ? null : String(s.CountingGroupId),
        sessionType: s.SessionType ?? null,
        votes: votesOf(state),
        contestStatus: statusOf(state),
      });
      records++;
      return undefined;
    },
  });
  if (!streamed.ok) return streamed;
  if (!streamed.value.sawArray) return err(parseError('import-bad-dominion-cvr', file, 'top level', 'a "Sessions" list (is this a Dominion CvrExport file?)'));
  const version = streamed.value.others['Version'];
  const electionId = streamed.value.others['ElectionId'];
  if (version === undefined) warnings.push(`${file}: no top-level "Version"; read as Democracy Suite 5.x.`);
  return ok({
    records,
    version: typeof version === 'string' ? version : null,
    electionId: typeof electionId === 'string' ? electionId : null,
    warnings: [...streamed.value.warnings, ...warnings],
  });
}

// ---------- manifests ----------

const manifestNames = [
  'ContestManifest',
  'CandidateManifest',
  'BallotTypeManifest',
  'BallotTypeContestManifest',
  'TabulatorManifest',
  'PrecinctManifest',
  'PrecinctPortionManifest',
  'PartyManifest',
  'CountingGroupManifest',
  'OutstackConditionManifest',
  'DistrictManifest',
  'DistrictPrecinctPortionManifest',
  'DistrictTypeManifest',
  'ElectionEventManifest',
] as const;
export type DominionManifestName = (typeof manifestNames)[number];

export function dominionManifestName(fileName: string): DominionManifestName | undefined {
  const stem = fileName.replace(/\.json$/i, '');
  return manifestNames.find((n) => n.toLowerCase() === stem.toLowerCase());
}

const text = z.string().max(2000);
const described = z.object({ Description: text, Id: idSchema, ExternalId: z.string().max(2000).nullable().optional() });
const contestRow = described.extend({ VoteFor: z.number().int().min(0).max(1000), NumOfRanks: z.number().int().min(0).max(1000).optional() });
const candidateRow = described.extend({ ContestId: idSchema, Type: z.string().max(100).optional(), Affiliations: z.array(idSchema).optional() });
const ballotTypeContestRow = z.object({ BallotTypeId: idSchema, ContestId: idSchema });
const outstackRow = z.object({ Description: text, Id: idSchema });

export interface DominionManifest {
  readonly name: DominionManifestName;
  readonly version: string | null;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly lookups: readonly NormalizedLookup[];
  readonly warnings: readonly string[];
}

const lookupKinds: Partial<Record<DominionManifestName, LookupKind>> = {
  BallotTypeManifest: 'ballot-type',
  TabulatorManifest: 'tabulator',
  PrecinctManifest: 'precinct',
  PrecinctPortionManifest: 'precinct-portion',
  PartyManifest: 'party',
  CountingGroupManifest: 'counting-group',
};

const maxManifestBytes = 128 * 1024 * 1024;

/** Reads one Dominion manifest (small; read whole); never throws. */
export async function parseDominionManifest(path: string, file: string, name: DominionManifestName): Promise<Result<DominionManifest>> {
  try {
    const info = await stat(path);
    if (info.size > maxManifestBytes) return err(parseError('import-too-large', file, undefined, `a manifest under ${maxManifestBytes / 1048576} MB`, `${info.size} bytes`));
    const buffer = await readFile(path);
    return parseDominionManifestBuffer(buffer, file, name);
  } catch (e) {
    return err(internalParseError(file, e));
  }
}

export function parseDominionManifestBuffer(buffer: Uint8Array, file: string, name: DominionManifestName): Result<DominionManifest> {
  const warnings: string[] = [];
  const decoded = decodeBuffer(buffer);
  if (looksBinary(buffer, decoded.detected.encoding)) return err(parseError('import-bad-json', file, 'byte 0', 'a JSON text file', 'binary data'));
  if (decoded.detected.encoding !== 'utf-8') warnings.push(`${file}: read as ${decoded.detected.encoding}.`);
  let data: unknown;
  try {
    data = JSON.parse(decoded.text);
  } catch (e) {
    return err(parseError('import-bad-json', file, undefined, 'valid JSON', e instanceof Error ? e.message : String(e)));
  }
  const top = z.object({ Version: z.string().optional(), List: z.array(z.unknown()) }).safeParse(data);
  if (!top.success) return err(zodIssueError('import-bad-dominion-manifest', file, 'top level', top.error, data));
  const list = top.data.List;
  const contests: NormalizedContest[] = [];
  const options: NormalizedOption[] = [];
  const lookups: NormalizedLookup[] = [];
  for (let i = 0; i < list.length; i++) {
    const row = list[i];
    const where = `List[${i}]`;
    if (name === 'ContestManifest') {
      const r = contestRow.safeParse(row);
      if (!r.success) return err(zodIssueError('import-bad-dominion-manifest', file, where, r.error, row));
      contests.push({ key: String(r.data.Id), name: r.data.Description, voteFor: r.data.VoteFor, numRanks: r.data.NumOfRanks ?? null });
    } else if (name === 'CandidateManifest') {
      const r = candidateRow.safeParse(row);
      if (!r.success) return err(zodIssueError('import-bad-dominion-manifest', file, where, r.error, row));
      options.push({
        contestKey: String(r.data.ContestId),
        key: String(r.data.Id),
        name: r.data.Description,
        party: r.data.Affiliations !== undefined && r.data.Affiliations.length > 0 ? r.data.Affiliations.join(',') : null,
        type: r.data.Type ?? null,
      });
    } else if (name === 'BallotTypeContestManifest') {
      const r = ballotTypeContestRow.safeParse(row);
      if (!r.success) return err(zodIssueError('import-bad-dominion-manifest', file, where, r.error, row));
      lookups.push({ kind: 'ballot-type-contest', key: `${r.data.BallotTypeId}:${r.data.ContestId}`, name: '' });
    } else if (name === 'OutstackConditionManifest') {
      const r = outstackRow.safeParse(row);
      if (!r.success) return err(zodIssueError('import-bad-dominion-manifest', file, where, r.error, row));
      lookups.push({ kind: 'outstack-condition', key: String(r.data.Id), name: r.data.Description });
    } else {
      const kind = lookupKinds[name];
      if (kind === undefined) continue; // districts, election event: kept in the vault, not needed here
      const r = described.safeParse(row);
      if (!r.success) return err(zodIssueError('import-bad-dominion-manifest', file, where, r.error, row));
      lookups.push({ kind, key: String(r.data.Id), name: r.data.Description });
    }
  }
  return ok({ name, version: top.data.Version ?? null, contests, options, lookups, warnings });
}
