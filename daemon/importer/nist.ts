import { z } from 'zod';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { zodIssueError } from './dominion.ts';
import { parseError } from './errors.ts';
import { cvrNumberImageKey, imageKeyFromFileName } from './imageKeys.ts';
import { streamJsonArrayFile, type ByteInput } from './jsonStream.ts';
import type { CvrSink, NormalizedContest, NormalizedOption, NormalizedVote } from './model.ts';

/**
 * NIST SP 1500-103 Cast Vote Record common data format, JSON, version 1.0.0
 * (CastVoteRecordReport with CVR[], Election[].Contest[], Candidate[]). CVRs stream; the
 * Election part (contest and candidate names) is read whole.
 */
const indication = z.enum(['yes', 'no', 'unknown']);
const position = z.object({
  HasIndication: indication,
  NumberVotes: z.number().int().min(0).max(1000),
  IsAllocable: indication.optional(),
  Rank: z.number().int().min(1).max(1000).optional(),
  MarkMetricValue: z.array(z.string()).optional(),
});
const contestSelection = z.object({
  ContestSelectionId: z.string().max(500).optional(),
  Rank: z.number().int().min(1).max(1000).optional(),
  SelectionPosition: z.array(position),
});
const cvrContest = z.object({
  ContestId: z.string().max(500),
  CVRContestSelection: z.array(contestSelection).optional(),
  Undervotes: z.number().int().min(0).optional(),
  Overvotes: z.number().int().min(0).optional(),
});
const snapshot = z.object({
  '@id': z.string().max(500),
  // Required by the standard; Unisyn's XML leaves it out.
  Type: z.enum(['original', 'modified', 'interpreted']).optional(),
  CVRContest: z.array(cvrContest).optional(),
});
const imageData = z.object({
  Location: z.string().max(4096).optional(),
  Image: z.object({ FileName: z.string().max(4096).optional() }).optional(),
});
const cvrSchema = z.object({
  // The JSON schema says "CVR.CVR"; exporters following the XML names write "CVR".
  '@type': z.enum(['CVR.CVR', 'CVR']),
  CurrentSnapshotId: z.string().max(500),
  CVRSnapshot: z.array(snapshot).min(1),
  ElectionId: z.string().max(500),
  UniqueId: z.string().max(500).optional(),
  BallotAuditId: z.string().max(500).optional(),
  BatchId: z.string().max(500).optional(),
  BatchSequenceId: z.number().int().optional(),
  CreatingDeviceId: z.string().max(500).optional(),
  BallotStyleId: z.string().max(500).optional(),
  BallotStyleUnitId: z.string().max(500).optional(),
  BallotImage: z.array(imageData).optional(),
});
const electionSchema = z.array(
  z.object({
    '@id': z.string(),
    Name: z.string().optional(),
    Contest: z.array(
      z.object({
        '@id': z.string(),
        '@type': z.string(),
        Name: z.string().optional(),
        VotesAllowed: z.number().int().optional(),
        ContestSelection: z.array(
          z.object({
            '@id': z.string(),
            '@type': z.string(),
            CandidateIds: z.array(z.string()).optional(),
            Selection: z.string().optional(),
            IsWriteIn: z.boolean().optional(),
            PartyIds: z.array(z.string()).optional(),
          }),
        ),
      }),
    ),
    Candidate: z.array(z.object({ '@id': z.string(), Name: z.string().optional(), PartyId: z.string().optional() })).optional(),
  }),
);

export interface NistCvrSummary {
  readonly records: number;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly warnings: readonly string[];
}

/**
 * 1500-103 AllocationStatus: IsAllocable "yes" counts, "no" does not, and "unknown" (or absent)
 * leaves it to the tabulation: the position's NumberVotes count when it was indicated. "unknown"
 * is what ranked-choice exports write for every mark, so it must not mean "no".
 */
function isCounted(p: z.infer<typeof position>): boolean {
  if (p.NumberVotes <= 0 || p.IsAllocable === 'no') return false;
  return p.IsAllocable === 'yes' || p.HasIndication !== 'no';
}

/** Checks one CVR (JSON, or XML turned into the same shape) and hands its current snapshot to the sink. */
export function recordNistCvr(value: unknown, index: number, file: string, sink: CvrSink, maxRank: Map<string, number>): OperatorError | undefined {
  const parsed = cvrSchema.safeParse(value);
  if (!parsed.success) return zodIssueError('import-bad-nist-cvr', file, `CVR[${index}]`, parsed.error, value);
  const c = parsed.data;
  const current = c.CVRSnapshot.find((s) => s['@id'] === c.CurrentSnapshotId);
  if (current === undefined) return parseError('import-bad-nist-cvr', file, `CVR[${index}].CurrentSnapshotId`, 'the @id of one of its CVRSnapshot entries', JSON.stringify(c.CurrentSnapshotId));
  const votes: NormalizedVote[] = [];
  for (const contest of current.CVRContest ?? []) {
    for (const sel of contest.CVRContestSelection ?? []) {
      // One vote per position: a selection ranked at several positions keeps every rank.
      for (const p of sel.SelectionPosition) {
        const counted = isCounted(p);
        if (!counted && p.HasIndication === 'no') continue;
        const metric = p.MarkMetricValue?.[0];
        const rank = p.Rank ?? sel.Rank ?? 1;
        if (rank > 1) maxRank.set(contest.ContestId, Math.max(maxRank.get(contest.ContestId) ?? 1, rank));
        votes.push({
          contestKey: contest.ContestId,
          optionKey: sel.ContestSelectionId ?? '(write-in)',
          rank,
          isVote: counted,
          isAmbiguous: p.HasIndication === 'unknown',
          markDensity: metric !== undefined && /^\d+(\.\d+)?$/.test(metric) ? Number(metric) : null,
        });
      }
    }
  }
  const image = c.BallotImage?.[0];
  const imageName = image?.Location ?? image?.Image?.FileName;
  const cvrNumber = c.UniqueId ?? c.BallotAuditId ?? null;
  sink.record({
    tabulator: c.CreatingDeviceId ?? null,
    batch: c.BatchId ?? null,
    recordId: c.BatchSequenceId === undefined ? null : String(c.BatchSequenceId),
    cvrNumber,
    imageKey: (imageName !== undefined ? imageKeyFromFileName(imageName) : null) ?? (cvrNumber !== null ? cvrNumberImageKey(cvrNumber) : null),
    ballotStyle: c.BallotStyleId ?? null,
    precinct: c.BallotStyleUnitId ?? null,
    countingGroup: null,
    sessionType: current.Type ?? null,
    votes,
    contestStatus: (current.CVRContest ?? [])
      .filter((x) => x.Undervotes !== undefined || x.Overvotes !== undefined)
      .map((x) => ({ contestKey: x.ContestId, undervotes: x.Undervotes ?? null, overvotes: x.Overvotes ?? null, conditions: [] })),
  });
  return undefined;
}

/** Contest and choice names from the report's Election part. */
export function nistElectionNames(value: unknown, file: string, maxRank: ReadonlyMap<string, number>): Result<{ contests: NormalizedContest[]; options: NormalizedOption[] }> {
  const election = electionSchema.safeParse(value);
  if (!election.success) return err(zodIssueError('import-bad-nist-cvr', file, 'Election', election.error, value));
  const contests: NormalizedContest[] = [];
  const options: NormalizedOption[] = [];
  for (const e of election.data) {
    const candidates = new Map((e.Candidate ?? []).map((c) => [c['@id'], c]));
    for (const contest of e.Contest) {
      contests.push({ key: contest['@id'], name: contest.Name ?? contest['@id'], voteFor: contest.VotesAllowed ?? null, numRanks: maxRank.get(contest['@id']) ?? null });
      for (const s of contest.ContestSelection) {
        const cand = s.CandidateIds?.[0] !== undefined ? candidates.get(s.CandidateIds[0]) : undefined;
        options.push({
          contestKey: contest['@id'],
          key: s['@id'],
          name: cand?.Name ?? s.Selection ?? (s.IsWriteIn === true ? 'Write-in' : s['@id']),
          party: cand?.PartyId ?? s.PartyIds?.join(',') ?? null,
          type: s.IsWriteIn === true ? 'Writein' : null,
        });
      }
    }
  }
  return ok({ contests, options });
}

export async function parseNistCvr(path: ByteInput, file: string, sink: CvrSink): Promise<Result<NistCvrSummary>> {
  let records = 0;
  const maxRank = new Map<string, number>();
  const streamed = await streamJsonArrayFile(path, {
    file,
    arrayKey: 'CVR',
    onElement(value, index) {
      const bad = recordNistCvr(value, index, file, sink, maxRank);
      if (bad === undefined) records++;
      return bad;
    },
  });
  if (!streamed.ok) return streamed;
  const { others } = streamed.value;
  if (others['Version'] !== '1.0.0') return err(parseError('import-bad-nist-cvr', file, 'key "Version"', '"1.0.0" (NIST SP 1500-103 CVR v1.0)', JSON.stringify(others['Version'] ?? null)));
  if (others['@type'] !== 'CVR.CastVoteRecordReport' && others['@type'] !== 'CastVoteRecordReport') {
    return err(parseError('import-bad-nist-cvr', file, 'key "@type"', '"CVR.CastVoteRecordReport"', JSON.stringify(others['@type'] ?? null)));
  }
  const names = nistElectionNames(others['Election'] ?? [], file, maxRank);
  if (!names.ok) return names;
  const { contests, options } = names.value;
  return ok({ records, contests, options, warnings: streamed.value.warnings });
}
