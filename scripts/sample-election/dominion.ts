import { contestById, type Election } from './election.ts';
import type { StyleLayout, Target } from './layout.ts';
import { targetKey, type TruthMark } from './marks.ts';
import { CENTRAL_TABULATOR, type BatchPlan } from './plan.ts';
import { Rng } from './prng.ts';
import type { SheetRecord } from './truth.ts';

/** Dominion Democracy Suite 5.x CVR export, shaped like the real Alaska 2024 export. */
export const DOMINION_VERSION = '5.17.18.1';

export function dominionBatchDir(tabulatorId: number, batchId: number): string {
  return `Tabulator${String(tabulatorId).padStart(5, '0')}/Batch${String(batchId).padStart(3, '0')}/Images`;
}

export function dominionImageBase(tabulatorId: number, batchId: number, recordId: number): string {
  return `${String(tabulatorId).padStart(5, '0')}_${String(batchId).padStart(5, '0')}_${String(recordId).padStart(6, '0')}`;
}

const OUTSTACK = [
  { Description: 'Ambiguous', Id: 0 },
  { Description: 'Writein', Id: 1 },
  { Description: 'BlankBallot', Id: 2 },
  { Description: 'Overvote', Id: 5 },
  { Description: 'Undervote', Id: 4 },
  { Description: 'BlankContest', Id: 6 },
  { Description: 'OvervotedRanking', Id: 9 },
  { Description: 'InconsistentRcvOrdering', Id: 10 },
  { Description: 'SkippedRanking', Id: 11 },
  { Description: 'DuplicatedRcvCandidate', Id: 12 },
  { Description: 'UnvotedRcvContest', Id: 13 },
  { Description: 'UnusedRanking', Id: 14 },
  { Description: 'InvalidContest', Id: 7 },
];
const NONPARTISAN_PARTY = 1;

function guid(rng: Rng): string {
  const hex = (n: number): string => Array.from({ length: n }, () => rng.int(0, 15).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

function list(items: readonly unknown[]): { Version: string; List: readonly unknown[] } {
  return { Version: DOMINION_VERSION, List: items };
}

/** Every manifest file name -> JSON value. */
export function dominionManifests(election: Election, batches: readonly BatchPlan[]): Map<string, unknown> {
  const rng = Rng.derive(election.seed, 'dominion-manifests');
  const districtTypes = [
    { Description: 'County', Id: guid(rng), ExternalId: '' },
    { Description: 'State Senate', Id: guid(rng), ExternalId: '' },
    { Description: 'State House', Id: guid(rng), ExternalId: '' },
    { Description: 'School', Id: guid(rng), ExternalId: '' },
  ];
  const typeOf = (districtId: string): string => {
    const t = districtId.includes('senate') ? 1 : districtId.includes('house') ? 2 : districtId.includes('school') ? 3 : 0;
    return districtTypes[t]?.Id ?? '';
  };
  const district = (id: string): number => election.districts.find((d) => d.id === id)?.dominionId ?? 0;
  const m = new Map<string, unknown>();
  m.set(
    'BallotTypeContestManifest.json',
    list(election.styles.flatMap((s) => s.contestIds.map((cid) => ({ BallotTypeId: s.dominionId, ContestId: contestById(election, cid).dominionId })))),
  );
  m.set('BallotTypeManifest.json', list(election.styles.map((s) => ({ Description: `Ballot ${s.number} - Type ${s.number}`, Id: s.dominionId, ExternalId: s.id }))));
  m.set(
    'CandidateManifest.json',
    list(
      election.contests.flatMap((c) => [
        ...c.options.map((o) => ({
          Description: o.name,
          Id: o.dominionId,
          ExternalId: o.id,
          ContestId: c.dominionId,
          Type: 'Regular',
          Disabled: 0,
          Affiliations: o.partyId === null ? [] : [election.parties.find((p) => p.id === o.partyId)?.dominionId ?? NONPARTISAN_PARTY],
        })),
        ...c.writeInDominionIds.map((id) => ({ Description: 'Write-in', Id: id, ExternalId: '', ContestId: c.dominionId, Type: 'WriteIn', Disabled: 0, Affiliations: [] })),
      ]),
    ),
  );
  m.set(
    'ContestManifest.json',
    list(
      election.contests.map((c) => ({
        Description: c.title,
        Id: c.dominionId,
        ExternalId: c.id,
        DistrictId: district(c.districtId),
        VoteFor: c.voteFor,
        NumOfRanks: 0,
        NumOfWriteins: c.writeIns,
        Disabled: 0,
        Type: c.type === 'yesno' ? 'Measure' : 'Candidacy',
      })),
    ),
  );
  m.set(
    'CountingGroupManifest.json',
    list([
      { Description: 'Election Day', Id: 1, ExternalId: '' },
      { Description: 'Absentee', Id: 2, ExternalId: '' },
    ]),
  );
  m.set('DistrictManifest.json', list(election.districts.map((d) => ({ Description: d.name, Id: d.dominionId, DistrictTypeId: typeOf(d.id), ExternalId: d.id }))));
  m.set('DistrictPrecinctPortionManifest.json', list(election.precincts.flatMap((p) => p.districtIds.map((d) => ({ DistrictId: district(d), PrecinctPortionId: p.dominionId })))));
  m.set('DistrictTypeManifest.json', list(districtTypes));
  m.set(
    'ElectionEventManifest.json',
    list([
      {
        Description: election.title,
        Id: 1,
        ExternalId: '',
        Jurisdiction: election.jurisdiction,
        ElectionDate: election.date.replace(/-/g, ''),
        ElectionSignature: Array.from({ length: 32 }, () => rng.int(33, 126)),
      },
    ]),
  );
  m.set('OutstackConditionManifest.json', list(OUTSTACK));
  m.set(
    'PartyManifest.json',
    list([{ Description: 'Nonpartisan', Id: NONPARTISAN_PARTY, ExternalId: '' }, ...election.parties.map((p) => ({ Description: p.name, Id: p.dominionId, ExternalId: p.abbrev }))]),
  );
  m.set('PrecinctManifest.json', list(election.precincts.map((p) => ({ Description: `${p.externalId} ${p.name}`, Id: p.dominionId, ExternalId: p.externalId }))));
  m.set('PrecinctPortionManifest.json', list(election.precincts.map((p) => ({ Description: `${p.externalId} ${p.name}`, Id: p.dominionId, ExternalId: p.externalId, PrecinctId: p.dominionId }))));
  const tabulators = [...new Set(batches.map((b) => b.tabulatorId))].sort((a, b) => a - b);
  m.set(
    'TabulatorManifest.json',
    list(
      tabulators.map((id) => {
        const central = id === CENTRAL_TABULATOR;
        const precinct = election.precincts[id - 10101];
        return {
          Description: central ? 'Central Count ICC 1' : `${precinct?.externalId ?? ''} ${precinct?.name ?? ''} ICP`,
          Id: id,
          VotingLocationNumber: central ? 999 : (precinct?.dominionId ?? 0),
          VotingLocationName: central ? 'Central Count' : (precinct?.name ?? ''),
          ExternalId: '',
          Type: central ? 'ImagecastCentral' : 'ImagecastPrecinct2',
          ThresholdMin: 12,
          ThresholdMax: 25,
          WriteThresholdMin: 12,
          WriteThresholdMax: 25,
        };
      }),
    ),
  );
  return m;
}

export function dominionConfiguration(): unknown {
  return {
    IncludeTabulatorFilter: false,
    TabulatorFilterValue: 0,
    IncludeResultContainerFilter: false,
    ResultContainerFilterValue: 0,
    IncludeBallotTypeFilter: false,
    BallotTypeFilterValue: 0,
    ContestFilter: [],
    PrecinctPortionFilter: [],
    SplitFilesPerBatch: true,
    IncludeOnlyPublishedResultContainers: true,
    UseTabulatorFormat: false,
    IncludeSessionDetails: true,
    IncludeMarkDensity: true,
    CvrType: 0,
    CvrTurnoutTest: 0,
    CvrSuppressionType: 0,
    TurnoutThreshold: 0,
    OutstackConditions: [],
  };
}

function density(mark: TruthMark | undefined): number {
  if (mark === undefined) return 100;
  if (mark.kind === 'full') return 100;
  if (mark.kind === 'light') return mark.ambiguous ? 14 : 45;
  return Math.max(5, Math.min(100, Math.round(mark.fill * 100)));
}

/** One CvrExport_<n>.json for one batch. Dropped sheets are left out. */
export function dominionCvrExport(election: Election, layouts: ReadonlyMap<string, StyleLayout>, batch: BatchPlan, records: ReadonlyMap<string, SheetRecord>): unknown {
  const sessions: unknown[] = [];
  for (const sheet of batch.sheets) {
    const rec = records.get(sheet.sheetId);
    if (rec === undefined || rec.reported === null) continue;
    const style = election.styles.find((s) => s.id === sheet.styleId);
    const layout = layouts.get(sheet.styleId);
    if (style === undefined || layout === undefined) throw new Error(`unknown style ${sheet.styleId}`);
    const allTargets: Target[] = layout.cards.flatMap((c) => [...c.front.targets, ...c.back.targets]);
    const card = layout.cards.find((c) => c.card === sheet.card);
    if (card === undefined) throw new Error(`unknown card ${sheet.card}`);
    const cardTargets = [...card.front.targets, ...card.back.targets];
    const cardContestIds = [...new Set(cardTargets.map((t) => t.contestId))];
    const needsAdjudication = rec.marks.marks.some((m) => m.ambiguous || m.kind === 'write-in-scribble');

    const state = (current: boolean, adjudicated: boolean): unknown => ({
      PrecinctPortionId: election.precincts.find((p) => p.id === sheet.precinctId)?.dominionId ?? 0,
      BallotTypeId: style.dominionId,
      IsCurrent: current,
      Cards: [
        {
          Id: 1000 * sheet.card + style.number,
          KeyInId: 1000 * sheet.card + style.number,
          PaperIndex: sheet.card - 1,
          Contests: cardContestIds.map((cid) => {
            const contest = contestById(election, cid);
            const reported = rec.reported?.find((r) => r.contestId === cid);
            const selections = reported?.selections ?? [];
            const over = selections.length > contest.voteFor;
            const marks: unknown[] = [];
            const flags = new Set<number>();
            let votes = 0;
            for (const key of selections) {
              const target = cardTargets.find((t) => t.contestId === cid && targetKey(t) === key);
              if (target === undefined) continue;
              const truthMark = rec.marks.marks.find((m) => m.contestId === cid && m.column === target.column && m.row === target.row && m.side === target.side && m.intended && m.kind !== 'write-in-scribble');
              const ambiguous = truthMark?.ambiguous ?? false;
              const isVote = !over && (!ambiguous || adjudicated);
              if (isVote) votes++;
              if (ambiguous) flags.add(0);
              marks.push(markJson(election, cid, target, allTargets.indexOf(target), style.dominionId, density(truthMark), ambiguous, isVote));
              if (target.type === 'write-in') flags.add(1);
            }
            // ambiguous marks the voter did not mean (heavy erasures) still show up, as non-votes
            for (const m of rec.marks.marks) {
              if (m.contestId !== cid || !m.ambiguous || m.intended) continue;
              const target = cardTargets.find((t) => t.contestId === cid && t.column === m.column && t.row === m.row && t.side === m.side);
              if (target === undefined) continue;
              flags.add(0);
              marks.push(markJson(election, cid, target, allTargets.indexOf(target), style.dominionId, density(m), true, false));
            }
            if (over) flags.add(5);
            else if (selections.length === 0) flags.add(6);
            else if (votes < contest.voteFor) flags.add(4);
            return {
              Id: contest.dominionId,
              ManifestationId: style.dominionId * 100 + style.contestIds.indexOf(cid) + 1,
              Undervotes: over ? 0 : contest.voteFor - votes,
              Overvotes: over ? contest.voteFor : 0,
              OutstackConditionIds: [...flags].sort((a, b) => a - b),
              Marks: marks,
            };
          }),
          OutstackConditionIds: rec.reported?.every((r) => r.selections.length === 0) === true ? [2] : [],
        },
      ],
    });
    const base = dominionImageBase(sheet.tabulatorId, sheet.batchId, sheet.recordId);
    const session: Record<string, unknown> = {
      TabulatorId: sheet.tabulatorId,
      BatchId: sheet.batchId,
      RecordId: sheet.recordId,
      CountingGroupId: sheet.countingGroupId,
      ImageMask: `D:\\NAS\\${election.title}\\Results\\${dominionBatchDir(sheet.tabulatorId, sheet.batchId).replace(/\//g, '\\')}\\${base}*.*`,
      SessionType: 'ScannedVote',
      VotingSessionIdentifier: '',
      UniqueVotingIdentifier: '',
      Original: state(!needsAdjudication, false),
    };
    if (needsAdjudication) session['Modified'] = state(true, true);
    sessions.push(session);
  }
  return { Version: DOMINION_VERSION, ElectionId: election.title, Sessions: sessions };
}

function markJson(election: Election, contestId: string, target: Target, targetIndex: number, styleDominionId: number, markDensity: number, ambiguous: boolean, isVote: boolean): unknown {
  const contest = contestById(election, contestId);
  const manifestationId = styleDominionId * 10000 + targetIndex + 1;
  if (target.type === 'write-in') {
    const w = target.writeInIndex ?? 0;
    return {
      CandidateId: contest.writeInDominionIds[w] ?? 0,
      ManifestationId: manifestationId,
      Rank: 1,
      WriteinIndex: w,
      MarkDensity: markDensity,
      WriteinDensity: markDensity,
      IsAmbiguous: ambiguous,
      IsVote: isVote,
      OutstackConditionIds: ambiguous ? [0] : [1],
    };
  }
  const option = contest.options.find((o) => o.id === target.optionId);
  const party = option?.partyId === null || option?.partyId === undefined ? NONPARTISAN_PARTY : (election.parties.find((p) => p.id === option.partyId)?.dominionId ?? NONPARTISAN_PARTY);
  return {
    CandidateId: option?.dominionId ?? 0,
    ManifestationId: manifestationId,
    PartyId: party,
    Rank: 1,
    MarkDensity: markDensity,
    IsAmbiguous: ambiguous,
    IsVote: isVote,
    OutstackConditionIds: ambiguous ? [0] : [],
  };
}
