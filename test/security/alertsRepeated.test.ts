/**
 * #14 item 7: one alert per corrupt image buried the critical ones (6,019 alerts on a real pass).
 * A cause that repeats now updates one open alert: a count and the latest examples.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../daemon/capture/captureService.ts';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { PreauditService } from '../../daemon/preaudit/service.ts';
import { AlertLog, repeatedDetails } from '../../daemon/core/state/alerts.ts';

const root = mkdtempSync(path.join(tmpdir(), 'alerts-repeated-'));
const exportDir = path.join(root, 'export');
let config: Config;
let db: Db;

/** Dominion-named TIFFs that are not TIFFs (each different, so none is deduplicated away). */
function writeCorruptImages(from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    writeFileSync(path.join(exportDir, `99999_00001_${String(i).padStart(6, '0')}.tif`), Buffer.from(`II*\0 not really a tiff ${i}`));
  }
}

async function captureAndPreaudit(): Promise<void> {
  const capture = new CaptureService({ config, db, logger: silentLogger() });
  await capture.scanAll();
  await capture.settle(10_000);
  await capture.stop();
  // Layouts given (none): every sheet goes to the reader, which rejects the corrupt files.
  const service = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger: silentLogger(), workers: 1, layouts: { layouts: [], keys: { contests: new Map(), options: new Map() }, source: 'test' } });
  const r = await service.runOnce();
  if (!r.ok) throw new Error(r.error.message);
}

const openImageAlerts = () => new AlertLog(db, silentLogger()).open().filter((a) => a.code.startsWith('preaudit-image-'));

beforeAll(() => {
  mkdirSync(exportDir, { recursive: true });
  const parsed = parseConfig({ election: { name: 't', title: 'T' }, dataDir: 'var', roots: [{ label: 'dominion-export', path: 'export' }], capture: { settleMs: 0 }, log: { level: 'silent' } }, root);
  if (!parsed.ok) throw new Error(parsed.error.message);
  config = parsed.value;
  db = openStateDatabase(dataPaths(config).database);
});
afterAll(() => {
  db.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a repeated cause raises one alert', () => {
  it('50 corrupt images give one open alert that says 50 and names the latest', async () => {
    writeCorruptImages(1, 50);
    await captureAndPreaudit();
    const open = openImageAlerts();
    expect(open.map((a) => a.code)).toEqual(['preaudit-image-corrupt']);
    const alert = open[0]!;
    expect(alert.message).toContain('50 ballot images could not be read');
    expect(repeatedDetails(alert)?.count).toBe(50);
    expect(repeatedDetails(alert)?.examples).toHaveLength(5);
    expect(alert.subject).toBe('dominion-export:99999_00001_000050.tif');
  }, 120_000);

  it('more of the same next pass update that alert; once acknowledged, the next starts a new one', async () => {
    writeCorruptImages(51, 3);
    await captureAndPreaudit();
    const open = openImageAlerts();
    expect(open).toHaveLength(1);
    expect(open[0]!.message).toContain('53 ballot images could not be read');
    expect(new AlertLog(db, silentLogger()).acknowledge(open[0]!.id, 'clerk')).toBe(true);
    writeCorruptImages(54, 1);
    await captureAndPreaudit();
    const fresh = openImageAlerts();
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.id).not.toBe(open[0]!.id);
    expect(fresh[0]!.message).toMatch(/^A ballot image could not be read by the pre-audit: /);
    expect(repeatedDetails(fresh[0]!)?.count).toBe(1);
  }, 120_000);
});
