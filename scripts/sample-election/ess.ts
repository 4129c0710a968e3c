import type { Election } from './election.ts';
import { csvLine } from './files.ts';
import type { Sheet } from './xlsx.ts';
import type { SheetRecord } from './truth.ts';

/** ES&S-style folder of a precinct's images. */
export function essPrecinctDir(election: Election, precinctId: string): string {
  const p = election.precincts.find((x) => x.id === precinctId);
  if (p === undefined) throw new Error(`unknown precinct ${precinctId}`);
  return `${p.externalId}_${p.name.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

export function essImageName(cvrNumber: number, side: 'front' | 'back'): string {
  return `${String(cvrNumber).padStart(6, '0')}_${side === 'front' ? 'F' : 'B'}.jpg`;
}

function optionLabel(election: Election, contestId: string, key: string): string {
  if (key.startsWith('write-in-')) return 'Write-in';
  const c = election.contests.find((x) => x.id === contestId);
  return c?.options.find((o) => o.id === key)?.name ?? key;
}

/** ES&S-style CVR: one row per scanned card, each contest repeated once per seat (vote for N). */
export function essCvrTable(election: Election, records: readonly SheetRecord[]): Sheet {
  const header = ['Cast Vote Record', 'Precinct', 'Ballot Style'];
  for (const c of election.contests) for (let i = 0; i < c.voteFor; i++) header.push(c.title);
  const rows: (string | number)[][] = [];
  const inCvr = records.filter((r) => r.reported !== null).sort((a, b) => a.plan.cvrNumber - b.plan.cvrNumber);
  for (const r of inCvr) {
    const precinct = election.precincts.find((p) => p.id === r.plan.precinctId);
    const style = election.styles.find((s) => s.id === r.plan.styleId);
    const row: (string | number)[] = [r.plan.cvrNumber, precinct === undefined ? '' : `${precinct.externalId} ${precinct.name}`, style === undefined ? '' : `Style ${style.number} Card ${r.plan.card}`];
    for (const c of election.contests) {
      const rep = r.reported?.find((x) => x.contestId === c.id);
      for (let i = 0; i < c.voteFor; i++) {
        if (rep === undefined) row.push('');
        else if (rep.outcome === 'overvote') row.push('overvote');
        else {
          const v = rep.votes[i];
          row.push(v === undefined ? 'undervote' : optionLabel(election, c.id, v));
        }
      }
    }
    rows.push(row);
  }
  return { name: 'CVR', header, rows };
}

export function tableCsv(t: Sheet): string {
  return [csvLine(t.header), ...t.rows.map((r) => csvLine(r))].join('');
}

/** AuditEngine's Election Information File: one row per contest option. */
export function electionInformationTable(election: Election): Sheet {
  const header = ['Official_Contest_Name', 'Vote_for', 'Official_Options', 'Party', 'CVR_Contest_Name', 'CVR_Options', 'Ballot_Contest_Name', 'Ballot_Options', 'Ballot_Descriptions'];
  const rows: (string | number)[][] = [];
  for (const c of election.contests) {
    const opts = [...c.options.map((o) => ({ name: o.name, party: o.partyId === null ? '' : (election.parties.find((p) => p.id === o.partyId)?.abbrev ?? '') })), ...(c.writeIns > 0 ? [{ name: 'Write-in', party: '' }] : [])];
    for (const o of opts) {
      rows.push([c.title, c.voteFor, o.name, o.party, c.title, o.name, c.title.toUpperCase(), o.name, c.description ?? '']);
    }
  }
  return { name: 'EIF', header, rows };
}

export interface TotalsRow {
  readonly contestId: string;
  readonly optionId: string;
  readonly votes: number;
}

/** Totals over the CVR as exported (dropped sheets out, duplicates twice, flips as recorded). */
export function cvrTotals(election: Election, records: readonly SheetRecord[]): TotalsRow[] {
  const totals = new Map<string, number>();
  const key = (c: string, o: string): string => `${c}\u0000${o}`;
  for (const c of election.contests) {
    for (const o of c.options) totals.set(key(c.id, o.id), 0);
    if (c.writeIns > 0) totals.set(key(c.id, 'write-in'), 0);
    totals.set(key(c.id, 'overvotes'), 0);
    totals.set(key(c.id, 'undervotes'), 0);
  }
  for (const r of records) {
    if (r.reported === null) continue;
    for (const rep of r.reported) {
      const c = election.contests.find((x) => x.id === rep.contestId);
      if (c === undefined) continue;
      if (rep.outcome === 'overvote') totals.set(key(c.id, 'overvotes'), (totals.get(key(c.id, 'overvotes')) ?? 0) + c.voteFor);
      else totals.set(key(c.id, 'undervotes'), (totals.get(key(c.id, 'undervotes')) ?? 0) + c.voteFor - rep.votes.length);
      for (const v of rep.votes) {
        const k = key(c.id, v.startsWith('write-in-') ? 'write-in' : v);
        totals.set(k, (totals.get(k) ?? 0) + 1);
      }
    }
  }
  return [...totals.entries()].map(([k, votes]) => {
    const [contestId, optionId] = k.split('\u0000') as [string, string];
    return { contestId, optionId, votes };
  });
}

export function summaryTable(election: Election, totals: readonly TotalsRow[], cardsCast: number): Sheet {
  const header = ['Contest', 'Choice', 'Party', 'Total Votes'];
  const rows: (string | number)[][] = [['Cards Cast', '', '', cardsCast]];
  for (const t of totals) {
    const c = election.contests.find((x) => x.id === t.contestId);
    if (c === undefined) continue;
    const o = c.options.find((x) => x.id === t.optionId);
    const choice = o?.name ?? (t.optionId === 'write-in' ? 'Write-in' : t.optionId === 'overvotes' ? 'Overvotes' : 'Undervotes');
    const party = o?.partyId === null || o?.partyId === undefined ? '' : (election.parties.find((p) => p.id === o.partyId)?.abbrev ?? '');
    rows.push([c.title, choice, party, t.votes]);
  }
  return { name: 'Summary', header, rows };
}
