/**
 * The files an auditor downloads from the evidence view (the discrepancy XLSX, the evidence
 * crops as one ZIP, Arlo's ballot manifest, the independent CVR), built from the stored results
 * when asked, so they are never older than the page.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '../core/db/database.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { arloManifestCsv, arloManifestRows } from '../importer/arlo.ts';
import { auditMarkPages } from './auditMarkPages.ts';
import { contestsFromImports } from './contestDefinitions.ts';
import { independentCvrCsv, independentCvrRows } from './independentCvr.ts';
import { writePreauditReport } from './report.ts';
import type { EvidenceDownloadKind, EvidenceFile } from './webApi.ts';

const csvType = 'text/csv; charset=utf-8';

function contestsOf(db: Db) {
  const defs = contestsFromImports(db);
  return defs.ok ? defs.value.contests : [];
}

/** One download, built now from the stored results. */
export async function evidenceFile(db: Db, vaultDir: string, kind: EvidenceDownloadKind): Promise<Result<EvidenceFile>> {
  if (kind === 'independent-cvr') {
    const rows = independentCvrRows(db, contestsOf(db), await auditMarkPages(db, vaultDir));
    if (rows.length === 0) return err(operatorError('evidence-nothing-read', 'No ballot has been read yet, so there is no independent CVR.', 'Wait until the pre-audit has read ballots.'));
    return ok({ fileName: 'independent-cvr.csv', contentType: csvType, bytes: new TextEncoder().encode(independentCvrCsv(rows)) });
  }
  if (kind === 'arlo') {
    const rows = arloManifestRows(db);
    if (rows.length === 0) return err(operatorError('evidence-no-batches', 'No CVR export with batches has been imported, so there is no ballot manifest.', 'Wait until the EMS export with its CVRs has been imported.'));
    return ok({ fileName: 'arlo-ballot-manifest.csv', contentType: csvType, bytes: new TextEncoder().encode(arloManifestCsv(rows)) });
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'ballotsafe-evidence-'));
  try {
    const written = await writePreauditReport(db, vaultDir, dir, { contests: contestsOf(db) });
    if (kind === 'xlsx') {
      return ok({ fileName: 'preaudit-discrepancies.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', bytes: new Uint8Array(await readFile(written.xlsx)) });
    }
    const crops = (await readdir(path.join(dir, 'evidence')).catch(() => [] as string[])).filter((f) => f.endsWith('.png')).sort();
    if (crops.length === 0) return err(operatorError('evidence-no-crops', 'There is no disagreement or gray contest, so there are no evidence pictures.', 'Nothing to do.'));
    const JSZip = (await import('jszip')).default;
    const zip = new JSZip();
    for (const f of crops) zip.file(`evidence/${f}`, await readFile(path.join(dir, 'evidence', f)));
    zip.file('preaudit-report.json', await readFile(written.json));
    return ok({ fileName: 'preaudit-evidence.zip', contentType: 'application/zip', bytes: await zip.generateAsync({ type: 'uint8array' }) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
