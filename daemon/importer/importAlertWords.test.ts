/**
 * A file the EMS wrote broken (truncated JSON CVR, broken CSV) raises an import alert in a clerk's
 * words; the parser's exact message stays in the collapsed "details for the technician".
 * Real import path: catalog row + vault object → ImportService.tick → alerts table → Alerts page.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { silentLogger } from '../core/log/logger.ts';
import type { AlertRow } from '../core/state/alerts.ts';
import { AlertsPage } from '../web/pages/alerts.tsx';
import { ImportService } from './service.ts';
import { dominionCorpus, importTestDb, tempDir } from './testSupport.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

let inode = 1;
function catalog(db: Db, vault: string, relPath: string, kind: string, bytes: Buffer): void {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const p = vaultObjectPath(vault, sha);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, bytes);
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
     VALUES ('cvr-exports', ?, ?, ?, '0', '0', ?, ?, ?, ?, ?)`,
  ).run(relPath, Buffer.from(relPath), bytes.length, String(inode++), sha, kind, now, now);
}

/** Words of a parser or a programmer, never of a clerk. */
const jargon = /position|byte|Unexpected|token|expected|found|JSON\.parse|\bat row\b|import-bad|\[\d+\]/i;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function alertsFor(relPath: string, bytes: Buffer): Promise<AlertRow[]> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const db = importTestDb();
  const vault = join(dir, 'vault');
  catalog(db, vault, relPath, 'cvr', bytes);
  const service = new ImportService({ db, readSheets: () => readSheetFills(db), vaultDir: vault, reportsDir: join(dir, 'reports'), logger: silentLogger() });
  expect((await service.tick()).newFailures).toBe(1);
  await service.stop();
  return db.prepare('SELECT * FROM alerts').all() as AlertRow[];
}

const page = (open: AlertRow[]) =>
  String(AlertsPage({ page: { user: { id: 1, name: 'olivia', role: 'operator' }, csrfToken: 't', electionTitle: 'Test County', openAlerts: open.length }, open, acknowledged: [], now: new Date() }));

describe('import-failed alerts speak plainly', () => {
  it('a truncated JSON CVR: what is wrong and what to do, the parser text only for the technician', async () => {
    const full = readFileSync(join(dominionCorpus, 'CvrExport_1731.json'));
    const alerts = await alertsFor('e/CvrExport_1731.json', full.subarray(0, Math.floor(full.length / 2)));
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.message).toBe('The file CvrExport_1731.json is damaged or cut short: it ends early or has broken text in it, so it could not be read. Nothing from it was counted; what was imported before is kept.');
    expect(a.action).toContain('Export this file again from the election management system');
    expect(`${a.message} ${a.action}`).not.toMatch(jargon);
    expect(a.details_json).toMatch(/import-bad-json: .*expected/);
    const html = page(alerts);
    expect(html).toContain('<details class="technician" data-testid="technician-details"><summary>Details for the technician</summary>');
    expect(html).not.toMatch(/<details[^>]* open/);
  });

  it('a JSON CVR broken in the middle (the parser says "Unexpected ... position")', async () => {
    const full = readFileSync(join(dominionCorpus, 'CvrExport_1731.json'), 'utf8');
    const at = full.indexOf('"RecordId"');
    const alerts = await alertsFor('e/CvrExport_1731.json', Buffer.from(`${full.slice(0, at)}}}x${full.slice(at)}`));
    const a = alerts[0]!;
    expect(a.message).toMatch(/^The file CvrExport_1731\.json is damaged or cut short/);
    expect(`${a.message} ${a.action}`).not.toMatch(jargon);
  });

  it('a broken CSV (a quote never closed)', async () => {
    const alerts = await alertsFor('e/cvr.csv', Buffer.from('Cast Vote Record,Precinct,Mayor\r\n1,"p,A\r\n2,p,B\r\n'));
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.message).toBe('The file cvr.csv is damaged: some of its rows are broken (a column or quote mark is out of place), so it could not be read. Nothing from it was counted; what was imported before is kept.');
    expect(`${a.message} ${a.action}`).not.toMatch(jargon);
    expect(a.details_json).toMatch(/import-bad-csv: .*expected valid CSV/);
    expect(page(alerts)).toContain('expected valid CSV');
  });
});
