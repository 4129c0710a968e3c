/**
 * What `ballotsafe preaudit` prints after a pass, and its exit code: shared by the appliance's run
 * (captured files) and the run on folders named on the command line.
 */
import path from 'node:path';
import type { GrayEntry, WrittenReport } from './report.ts';
import { writeInName } from './independentCvr.ts';
import { PREAUDIT_EXIT, preauditExitCode, type SheetTally, tallyLines } from './sheetTally.ts';

export interface PassOutcome extends WrittenReport {
  readonly tally: SheetTally;
  /** The pass's own words on sheets not read (set apart, waiting for a person), if any. */
  readonly note?: string;
}

/** The summary lines, then the first disagreements and gray contests, then where the report is. */
export function passSummaryLines(run: PassOutcome): string[] {
  const rep = run.report;
  const out = [...tallyLines(run.tally)];
  const count = (n: number, what: string) => out.push(`${String(n).padStart(9)}  ${what}`);
  count(rep.ballotsCompared, 'ballots compared with their CVR');
  count(rep.ballotsWithoutCvr.length, 'ballots without a CVR');
  count(rep.gray.length, 'contests gray (a person decides)');
  count(rep.disagreements.length, 'contests disagreeing with the CVR');
  // The scanner's own record of the sheet (Dominion's AuditMark page), where the file has one.
  const record = (auditMark: string | null) => (auditMark === null ? '' : `  scanner's record: ${auditMark}`);
  for (const d of rep.disagreements.slice(0, 20)) {
    out.push(`  ${d.ballotKey}  ${d.contest}: image [${d.imageVotes.join(', ')}] CVR [${d.cvrVotes.join(', ')}]${record(d.auditMark)}`);
  }
  const title = new Map(rep.contests.map((c) => [c.contestId, c.title]));
  const option = new Map(rep.totals.map((t) => [`${t.contestId}\u0000${t.optionId}`, t.option]));
  const name = (contestId: string, o: string) => option.get(`${contestId}\u0000${o}`) ?? writeInName(o);
  for (const g of rep.gray.slice(0, 20)) {
    const image = g.evidence === null ? '' : `  image: ${path.join(path.dirname(run.json), g.evidence)}`;
    out.push(`  gray  ${g.ballotKey}  ${title.get(g.contestId) ?? g.contestId}: ${grayReason(g, (o) => name(g.contestId, o))}${image}${record(g.auditMark)}`);
  }
  if (run.note !== undefined) out.push(run.note);
  out.push(`Report: ${run.json}`, `        ${run.xlsx}`, `        ${run.independentCvr}  (every sheet's reading)`);
  return out;
}

/** Why a contest is gray, in words: the image's doubtful marks, and those only the EMS flagged. */
export function grayReason(g: Pick<GrayEntry, 'marginal' | 'emsAmbiguous'>, name: (optionId: string) => string): string {
  const onImage = g.marginal.map(name);
  const emsOnly = g.emsAmbiguous.filter((o) => !g.marginal.includes(o)).map(name);
  const parts = [
    ...(onImage.length > 0 ? [`doubtful mark on ${onImage.join(', ')}`] : []),
    ...(emsOnly.length > 0 ? [`the EMS flagged a doubtful mark on ${emsOnly.join(', ')}`] : []),
  ];
  return parts.length > 0 ? parts.join('; ') : 'a doubtful mark: a person decides';
}

/**
 * 0 only when every sheet was read and every ballot read was compared with its CVR and agreed:
 * a ballot with no CVR to compare with agrees with nothing, so it counts as not checked (3).
 */
export function passExitCode(run: PassOutcome): number {
  const code = preauditExitCode(run.tally, run.report.disagreements.length);
  if (code === PREAUDIT_EXIT.allReadNoDisagreement && run.report.ballotsWithoutCvr.length > 0) return PREAUDIT_EXIT.sheetsNotRead;
  return code;
}
