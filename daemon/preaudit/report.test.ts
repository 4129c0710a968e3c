/**
 * The discrepancy report on a generated election with one altered results-summary total and one
 * flipped CVR vote: the images are read on the worker pool, the CVR export and the results
 * summary go through the importer, comparisons are stored as the service stores them, and the
 * JSON and XLSX report must show the totals discrepancy and AuditEngine's columns.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { imageKeyFromFileName } from '../importer/imageKeys.ts';
import { importLocalPath } from '../importer/importFile.ts';
import { silentLogger } from '../core/log/logger.ts';
import { sampleKeys } from '../../test/preaudit/accuracy.ts';
import { cvrSourceFromRecords } from './cvrSource.ts';
import { runPreaudit, type SheetJob } from './pool.ts';
import { writePreauditReport } from './report.ts';
import { readSampleLayouts } from '../../test/preaudit/sampleElection.ts';
import { compareSheets, loadCvrRecords } from './service.ts';

const root = mkdtempSync(path.join(tmpdir(), 'preaudit-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Injected {
  kind: string;
  contestId?: string;
  optionId?: string;
  cvrTotal?: number;
  reportedTotal?: number;
}
const discrepancyFile = (dir: string): Injected[] =>
  (JSON.parse(readFileSync(path.join(dir, 'truth', 'discrepancies.json'), 'utf8')) as { discrepancies: Injected[] }).discrepancies;

describe('pre-audit discrepancy report', () => {
  it('reports an altered results-summary total and a flipped vote, in AuditEngine\'s columns', async () => {
    const sample = path.join(root, 'sample');
    const gen = await generateSampleElection({ out: sample, seed: 7301, ballots: 40, format: 'dominion', discrepancies: { flip: 1, drop: 0, dup: 0, totals: 1 } });
    if (!gen.ok) throw new Error(gen.error.message);
    const layouts = readSampleLayouts(path.join(sample, 'truth'));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const layoutList = [...layouts.value.values()];

    const db = openStateDatabase(path.join(root, 'state.db'));
    try {
      const imported = await importLocalPath(db, path.join(sample, 'dominion'));
      if (!imported.ok) throw new Error(imported.error.message);
      const results = await importLocalPath(db, path.join(sample, 'results', 'summary.csv'));
      if (!results.ok) throw new Error(results.error.message);
      expect(results.value.failures).toEqual([]);

      const index = JSON.parse(readFileSync(path.join(sample, 'truth', 'index.json'), 'utf8')) as { images: { vendor: string; paths: string[] }[] };
      const jobs: SheetJob[] = index.images
        .filter((i) => i.vendor === 'dominion')
        .map((i) => ({ key: imageKeyFromFileName(i.paths[0]!)!, files: i.paths.map((p) => path.join(sample, p)) }));
      expect(jobs.length).toBeGreaterThan(50);
      await runPreaudit(db, jobs, layoutList, silentLogger(), { workers: 2 });
      const summary = compareSheets(
        db,
        jobs.map((job) => ({ job, imageKey: job.key, fileVersionIds: [] })),
        layoutList,
        cvrSourceFromRecords(loadCvrRecords(db), sampleKeys(path.join(sample, 'truth'))),
      );
      expect(summary.ballotsCompared).toBe(jobs.length);

      const out = path.join(root, 'report');
      const contests = layoutList.flatMap((l) => l.contests);
      const { report, xlsx, json } = await writePreauditReport(db, path.join(root, 'vault'), out, { contests });

      const injected = discrepancyFile(sample);
      const totals = injected.find((d) => d.kind === 'totals')!;
      const flip = injected.find((d) => d.kind === 'flip')!;
      // the altered total, and only it, differs between the results summary and the CVRs
      expect(report.resultsUnmatched).toEqual([]);
      expect(report.cvrRecords).toBe(jobs.length);
      expect(report.totals.filter((t) => t.resultsMinusCvr !== 0)).toEqual([
        expect.objectContaining({ contestId: totals.contestId, optionId: totals.optionId, cvr: totals.cvrTotal, results: totals.reportedTotal, resultsMinusCvr: totals.reportedTotal! - totals.cvrTotal! }),
      ]);
      expect(report.totalsDiffering).toBe(1);
      expect(report.disagreements.map((d) => d.contestId)).toContain(flip.contestId);
      expect((JSON.parse(readFileSync(json, 'utf8')) as { totalsDiffering: number }).totalsDiffering).toBe(1);

      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(xlsx);
      const header = (name: string) => (wb.getWorksheet(name)!.getRow(1).values as unknown[]).slice(1);
      expect(header('Contests')).toEqual(['Contest', 'Ballots', 'Non-variant', 'Agreed overvotes', 'Agreed write-ins', 'Agreed undervotes', 'Disagreed', 'Gray', 'Variant % of margin']);
      expect(header('Totals')).toEqual(['Contest', 'Option', 'Image votes', 'CVR votes', 'Results summary votes', 'Image − CVR', 'Gray contests', 'Image − CVR beyond gray', 'Results − CVR']);
      const rows: unknown[][] = [];
      wb.getWorksheet('Totals')!.eachRow((r, n) => {
        if (n > 1) rows.push((r.values as unknown[]).slice(1));
      });
      const title = contests.find((c) => c.id === totals.contestId)!.title;
      const name = contests.find((c) => c.id === totals.contestId)!.options.find((o) => o.id === totals.optionId)!.name;
      expect(rows.filter((r) => r[8] !== 0)).toEqual([[title, name, expect.any(Number), totals.cvrTotal, totals.reportedTotal, expect.any(Number), expect.any(Number), expect.any(Number), totals.reportedTotal! - totals.cvrTotal!]]);
      // beyond what gray contests explain, images and CVRs differ only where the vote was flipped
      for (const t of report.totals.filter((x) => x.imageMinusCvrBeyondGray !== 0)) expect(t.contestId).toBe(flip.contestId);
      // every contest has its AuditEngine row; the flipped contest counts a disagreement
      const contestRows: unknown[][] = [];
      wb.getWorksheet('Contests')!.eachRow((r, n) => {
        if (n > 1) contestRows.push((r.values as unknown[]).slice(1));
      });
      const flipped = contestRows.find((r) => r[0] === contests.find((c) => c.id === flip.contestId)!.title)!;
      expect(flipped[6]).toBeGreaterThanOrEqual(1);
      expect(wb.getWorksheet('Disagreements')!.rowCount).toBeGreaterThanOrEqual(2);
    } finally {
      db.close();
    }
  });
});
