import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { buildPhase1Report, type Phase1Report } from '../importer/report.ts';
import { checksFromReport, importChecksFromReport } from './importChecks.ts';
import { ballotImageZipReason } from '../importer/imageZip.ts';
import { catalogFile } from '../../test/web/webTestFakes.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

describe('phase-1 checks from the importer report', () => {
  it('says "not run" for everything on an empty appliance', () => {
    const checks = checksFromReport(buildPhase1Report(openStateDatabase(':memory:'), () => []));
    expect(checks.map((c) => c.state)).toEqual(checks.map(() => 'not-run'));
  });

  it('reads the real report over the catalog: images but no CVR import yet means "not run"', () => {
    const db = openStateDatabase(':memory:');
    catalogFile(db, '/nonexistent-vault', 'central-scan', 'Tabulator00001/Batch001/00001.tif', 'ballot-image', Buffer.from('x'));
    const report = buildPhase1Report(db, () => readSheetFills(db));
    const byId = new Map(checksFromReport(report).map((c) => [c.id, c]));
    expect(report.summary.imageFiles).toBe(1);
    expect(byId.get('sources')?.state).toBe('not-run');
    expect(byId.get('images-have-cvr')).toMatchObject({ state: 'not-run', summary: 'Runs once a CVR export is imported.', details: [] });
  });

  it('files that are not election data alone are not a pass: no CVR was imported', () => {
    const base = buildPhase1Report(openStateDatabase(':memory:'), () => []);
    const report: Phase1Report = {
      ...base,
      sources: [{ name: 'Batches Loaded Report.xml', format: 'not-election-data', state: 'active', records: 0, warnings: ['an XML file (<BatchesLoadedReport>) that is not a cast vote record format'], error: null }],
      summary: { ...base.summary, cvrRecords: 0, notElectionData: 1 },
    };
    const sources = checksFromReport(report).find((c) => c.id === 'sources');
    expect(sources).toMatchObject({
      state: 'not-run',
      summary: 'No CVR export imported yet (1 file that is not election data).',
      details: ['Not election data: Batches Loaded Report.xml (an XML file (<BatchesLoadedReport>) that is not a cast vote record format)'],
    });
  });

  it('lists files that are not election data grouped by why: thousands of CVR printouts are one line', () => {
    const base = buildPhase1Report(openStateDatabase(':memory:'), () => []);
    const printout = 'a printout of one ballot\'s CVR (ES&S <id>c.pdf), kept, not read';
    const printouts = Array.from({ length: 2029 }, (_, i) => ({ name: `Dunbarton/Nonpartisan/${String(i + 1).padStart(6, '0')}c.pdf`, format: 'not-election-data', state: 'active', records: 0, warnings: [printout], error: null }));
    const report: Phase1Report = {
      ...base,
      sources: [...printouts, { name: 'Batches Loaded Report.xml', format: 'not-election-data', state: 'active', records: 0, warnings: ['an XML file that is not a cast vote record format'], error: null }],
      summary: { ...base.summary, cvrRecords: 0, notElectionData: 2030 },
    };
    const sources = checksFromReport(report).find((c) => c.id === 'sources');
    expect(sources?.details).toEqual([
      `Not election data: 2,029 files such as Dunbarton/Nonpartisan/000001c.pdf, Dunbarton/Nonpartisan/000002c.pdf (${printout})`,
      'Not election data: Batches Loaded Report.xml (an XML file that is not a cast vote record format)',
    ]);
  });

  it('turns counts into pass, warn and fail with the first problems as details', () => {
    // Start from a real (empty) report so new report fields keep this test compiling.
    const base = buildPhase1Report(openStateDatabase(':memory:'), () => []);
    const report: Phase1Report = {
      ...base,
      sources: [{ name: 'CvrExport', format: 'dominion-json', state: 'active', records: 300, warnings: [], error: null }],
      summary: { ...base.summary, cvrRecords: 300, imageFiles: 301, imagesWithoutCvr: 1, totalsWithinSuppressed: 1, clean: false },
      imagesWithoutCvr: { count: 1, items: [{ file: 'central-scan:T1/B7/extra.tif', key: 'T1-B7-extra' }] },
      eif: { ...base.eif, present: false },
      totals: { present: true, rows: [{ contest: 'Governor', option: 'Dustin', cvrVotes: 10, resultVotes: 11, difference: 1, suppressedBallots: 2, status: 'within-suppressed' }] },
      batches: [{ tabulator: '1', batch: '7', cvrRecords: 300, images: 301 }],
    };
    const byId = new Map(checksFromReport(report).map((c) => [c.id, c]));
    expect(byId.get('sources')?.state).toBe('pass');
    expect(byId.get('images-have-cvr')).toMatchObject({ state: 'fail', details: ['central-scan:T1/B7/extra.tif'] });
    expect(byId.get('cvrs-have-image')?.state).toBe('pass');
    expect(byId.get('election-definition')?.state).toBe('not-run');
    expect(byId.get('totals')?.state).toBe('warn');
    expect(byId.get('batches')).toMatchObject({ state: 'warn', details: ['Tabulator 1, batch 7: 300 CVRs, 301 images'] });
  });

  it('ES&S sheets read but not compared for rescans: the duplicates check warns and says why, never a pass (#21)', () => {
    const base = buildPhase1Report(openStateDatabase(':memory:'), () => []);
    const report: Phase1Report = { ...base, summary: { ...base.summary, cvrRecords: 2079, imageFiles: 2080, sheetsCheckedForRescans: 0, sheetsNotCheckedForRescans: 2029 } };
    const dup = checksFromReport(report).find((c) => c.id === 'duplicates');
    expect(dup?.state).toBe('warn');
    expect(dup?.summary).toContain("2,029 ES&S sheets not compared: in ES&S's black-and-white scans two voters' filled ovals look alike");
    expect(dup?.summary).not.toContain('once the pre-audit has read the marks');
    // with other sheets compared too, still not a pass
    const mixed = checksFromReport({ ...report, summary: { ...report.summary, sheetsCheckedForRescans: 12 } }).find((c) => c.id === 'duplicates');
    expect(mixed?.state).toBe('warn');
    expect(mixed?.summary).toContain('12 sheets compared by their marks');
  });

  it('an ES&S export whose images are one zip: the image checks say they did not look inside it, and batches with no image counted are not "all even" (#21)', () => {
    const base = buildPhase1Report(openStateDatabase(':memory:'), () => []);
    const report: Phase1Report = {
      ...base,
      sources: [
        { name: 'ess-cvr:CVR_Export.xlsx', format: 'ess-xlsx', state: 'active', records: 13, warnings: [], error: null },
        { name: 'ess-images:Ballot Images.zip', format: 'not-election-data', state: 'active', records: 0, warnings: [ballotImageZipReason], error: null },
      ],
      summary: { ...base.summary, cvrRecords: 13, imageFiles: 0, notElectionData: 1 },
      batches: [{ tabulator: '1', batch: '1', cvrRecords: 13, images: null }],
    };
    const byId = new Map(checksFromReport(report).map((c) => [c.id, c]));
    expect(byId.get('sources')?.summary).toBe('2 sources, 13 CVR records, ballot images inside 1 zip.'); // not "0 images"
    for (const id of ['images-have-cvr', 'cvrs-have-image']) {
      expect(byId.get(id)).toMatchObject({ state: 'not-run', summary: expect.stringContaining('the ballot images are inside ess-images:Ballot Images.zip, which this check does not open') });
    }
    expect(byId.get('batches')).toMatchObject({ state: 'not-run', summary: 'Not checked: no ballot image was counted to a batch (the images are inside a zip).' });
    expect(byId.get('duplicates')?.summary).toBe('No duplicated CVR; the ballot images inside the zip are not compared here.');
    // Image files whose names say no batch: not counted either.
    const named = checksFromReport({ ...report, sources: report.sources.slice(0, 1), summary: { ...report.summary, imageFiles: 13, notElectionData: 0 } }).find((c) => c.id === 'batches');
    expect(named).toMatchObject({ state: 'not-run', summary: 'Not checked: no ballot image was counted to a batch (their names do not say their batch).' });
  });

  it('rebuilds the report at most once per interval', () => {
    let builds = 0;
    let t = 0;
    const provider = importChecksFromReport(() => {
      builds += 1;
      return buildPhase1Report(openStateDatabase(':memory:'), () => []);
    }, 1000, () => t);
    provider.list();
    provider.list();
    t = 1001;
    provider.list();
    expect(builds).toBe(2);
  });
});
