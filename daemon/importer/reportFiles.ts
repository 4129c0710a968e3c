import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { Phase1Report } from './report.ts';

/** Excel workbook of the phase-1 report: one sheet per check, for auditors who work in Excel. */
export async function phase1ReportXlsx(report: Phase1Report): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'ballotsafe';
  wb.created = new Date(report.generatedAt);
  const sheet = (name: string, header: string[], rows: (string | number | null)[][]) => {
    const ws = wb.addWorksheet(name);
    ws.addRow(header).font = { bold: true };
    for (const r of rows) ws.addRow(r.map((v) => (v === null ? '' : v)));
    ws.columns.forEach((c) => {
      c.width = 22;
    });
    ws.views = [{ state: 'frozen', ySplit: 1 }];
  };
  const s = report.summary;
  sheet('Summary', ['Check', 'Count'], [
    ['CVR records', s.cvrRecords],
    ['Ballot image files', s.imageFiles],
    ['Images without a CVR', s.imagesWithoutCvr],
    ['CVRs without an image', s.cvrsWithoutImage],
    ...report.imageZipsNotListed.map((z): [string, string] => [`Images not counted: ${z.file} could not be listed`, z.problem]),
    ['Duplicate CVR records', s.duplicateCvrs],
    ['Duplicate image files', s.duplicateImages],
    ['Ballots scanned twice under another id', s.rescannedSheets],
    ['Sheets compared for rescans (read by the pre-audit)', s.sheetsCheckedForRescans],
    ['Sheets read but not compared for rescans (ES&S: two voters\' filled ovals look alike in its black-and-white scans)', s.sheetsNotCheckedForRescans],
    ['EIF contests missing from the CVRs', s.eifContestsMissingFromCvr],
    ['CVR contests missing from the EIF', s.cvrContestsMissingFromEif],
    ['EIF options missing from the CVRs', s.eifOptionsMissingFromCvr],
    ['CVR options missing from the EIF', s.cvrOptionsMissingFromEif],
    ['Totals not matching the results', s.totalsMismatched],
    ['Totals within suppressed ballots', s.totalsWithinSuppressed],
    ['Files that could not be imported', s.failedSources],
    ['Files that are not election data', s.notElectionData],
    ['All checks passed', s.clean ? 'yes' : 'no'],
    ['Generated at', report.generatedAt],
  ]);
  sheet('Files', ['File', 'Format', 'State', 'Records', 'Warnings', 'Error'], report.sources.map((x) => [x.name, x.format, x.state, x.records, x.warnings.join('\n'), x.error]));
  sheet('Images without CVR', ['Image file', 'Key'], report.imagesWithoutCvr.items.map((x) => [x.file, x.key]));
  sheet('CVRs without image', ['File', 'Tabulator', 'Batch', 'Record', 'CVR number', 'Image key'], report.cvrsWithoutImage.items.map((x) => [x.source, x.tabulator, x.batch, x.recordId, x.cvrNumber, x.imageKey]));
  sheet('Duplicates', ['Kind', 'Identity', 'Count', 'Where'], [
    ...report.duplicateCvrs.items.map((d) => ['CVR record', d.identity, d.count, d.sources.join('\n')]),
    ...report.duplicateImages.items.map((d) => ['Image file', d.sha256 ?? d.zipBytes ?? null, d.files.length, d.files.join('\n')]),
    ...report.rescannedSheets.items.map((d) => ['Same ballot scanned twice (same marks)', d.first.join(' + '), 2, [...d.first, ...d.second].join('\n')]),
  ]);
  sheet('EIF vs CVR', ['Problem', 'Contest', 'Option'], [
    ...report.eif.contestsMissingFromCvr.map((c) => ['EIF contest not in CVRs', c, null]),
    ...report.eif.cvrContestsMissingFromEif.map((c) => ['CVR contest not in EIF', c, null]),
    ...report.eif.optionsMissingFromCvr.map((o) => ['EIF option not in CVRs', o.contest, o.option]),
    ...report.eif.cvrOptionsMissingFromEif.map((o) => ['CVR option not in EIF', o.contest, o.option]),
    ...report.eif.optionsWithoutVotes.map((o) => ['EIF option with no votes (ES&S lists only chosen options; not an error)', o.contest, o.option]),
  ]);
  sheet('Totals', ['Contest', 'Option', 'CVR votes', 'Results votes', 'Difference', 'Suppressed ballots', 'Status'], report.totals.rows.map((t) => [t.contest, t.option, t.cvrVotes, t.resultVotes, t.difference, t.suppressedBallots, t.status]));
  sheet('Batches', ['Tabulator', 'Batch', 'CVR records', 'Images'], report.batches.map((b) => [b.tabulator, b.batch, b.cvrRecords, b.images]));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export interface WrittenReport {
  readonly json: string;
  readonly xlsx: string;
}

/** Writes phase1-report.json and .xlsx (temp file, then rename, so readers never see half a file). */
export async function writePhase1Report(report: Phase1Report, dir: string): Promise<Result<WrittenReport>> {
  try {
    await mkdir(dir, { recursive: true });
    const json = join(dir, 'phase1-report.json');
    const xlsx = join(dir, 'phase1-report.xlsx');
    await writeFile(`${json}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
    await rename(`${json}.tmp`, json);
    await writeFile(`${xlsx}.tmp`, await phase1ReportXlsx(report));
    await rename(`${xlsx}.tmp`, xlsx);
    return ok({ json, xlsx });
  } catch (e) {
    return err(operatorError('report-write-failed', `Could not write the phase-1 report to ${dir}: ${(e as Error).message}`, 'Check free space and permissions of the reports folder.'));
  }
}
