/**
 * The Export sticks page in chromium at 1024×768 against the real web app and a real database:
 * intakes in every state, "can be removed" only where the stick was unmounted, and the operator
 * entering who brought a stick. Screenshots go to test-artifacts/web/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, parseConfig } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { IntakeStore, type ExportStick } from '../../daemon/intake/store.ts';
import { sticksProvider } from '../../daemon/intake/webProvider.ts';
import type { DriveCandidate } from '../../daemon/drives/types.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk, ok } from '../../daemon/core/result.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { Accounts } from '../../daemon/web/accounts.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { startWebServer, type RunningWebServer } from '../../daemon/web/server.ts';
import { createWebDeps } from '../../daemon/web/wiring.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/web/', import.meta.url));
const manifest = 'a3f1c0de9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817065f4e';

describe('Export sticks page in chromium', () => {
  let dir: string;
  let db: Db;
  let server: RunningWebServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let store: IntakeStore;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'bs-sticks-page-'));
    const parsed = assertOk(parseConfig({ dataDir: join(dir, 'var'), roots: [{ label: 'ems', path: join(dir, 'ems') }], drives: { mode: 'usb' } }, dir));
    const config = { ...parsed, web: { ...parsed.web, port: 0 } };
    db = openStateDatabase(dataPaths(config).database);
    const logger = silentLogger();
    store = new IntakeStore(db);
    const stick: ExportStick = { id: '6f1c2a52-0000-4000-8000-000000000001', serial: '4C530001230512117463', fsUuid: 'EFD6-ECD4', label: 'EMSSTICK', description: 'SanDisk Cruzer Blade', ems: 'Dominion EMS, counting room', enrolledAt: '2026-11-03T07:00:00.000Z', enrolledBy: 'supervisor' };
    store.enrollStick(stick);
    const at = '2026-11-03T21:14:00.000Z';
    const a = store.begin(stick, { serial: stick.serial, fsUuid: stick.fsUuid }, null, at);
    store.finish(a.id, { status: 'captured', fileCount: 1204, totalBytes: 2_400_000_000, filesOnStick: 1204, manifestSha256: manifest, linksNotFollowed: 0, specialFiles: 0, message: 'All 1204 files on the stick captured.' }, at);
    store.markRemovable(a.id);
    const b = store.begin(stick, { serial: stick.serial, fsUuid: stick.fsUuid }, 'Pat Jones', at);
    store.finish(b.id, { status: 'incomplete', fileCount: 3, totalBytes: 9_000_000, filesOnStick: 40, manifestSha256: null, linksNotFollowed: 0, specialFiles: 0, message: 'The stick was removed (or stopped answering) while it was read: only 3 of 40 files captured.' }, at);
    store.markRemovable(b.id);
    store.begin(stick, { serial: stick.serial, fsUuid: stick.fsUuid }, null, at); // still reading
    const engine = new SnapshotEngine({ db, config, logger });
    // One stick plugged in that nobody enrolled yet (the drive list is the test's, not the machine's).
    const plugged: DriveCandidate = { device: '/dev/sdc1', disk: '/dev/sdc', serial: '0401396DA5E2', uuid: '1A2B-3C4D', fstype: 'exfat', label: 'ESS EXPORT', sizeBytes: 16_000_000_000, vendor: 'Kingston', model: 'DataTraveler 3.0', mountpoint: null };
    const deps = { ...createWebDeps({ db, config, logger, engine }), sticks: sticksProvider(db, logger, async () => ok([plugged])) };
    assertOk(await new Accounts(db).addUser('olivia', 'operator', 'correct horse battery'));
    server = assertOk(await startWebServer(createWebApp(deps), config, logger));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage();
    page.setDefaultTimeout(20_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists intakes with their status, says which stick can be removed, and records who brought one', async () => {
    if (server === undefined) throw new Error('server did not start');
    await page.goto(`${server.url}/sticks`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=name]', 'olivia');
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.goto(`${server.url}/sticks`);
    await page.waitForSelector('[data-testid=stick-intakes]');
    const row = (id: number) => page.locator(`tr[data-intake="${id}"]`);
    expect(await row(1).textContent()).toContain('Captured 1204 files');
    expect(await row(1).textContent()).toContain('a3f1 c0de');
    expect(await row(1).textContent()).toContain('Can be removed');
    expect(await row(2).textContent()).toContain('Incomplete');
    expect(await row(2).textContent()).toContain('only 3 of 40 files captured');
    expect(await row(2).textContent()).not.toContain('Captured');
    // The stick still being read is never called removable.
    expect(await row(3).textContent()).toContain('Reading');
    expect(await row(3).textContent()).toContain('Do not remove yet');
    expect(await row(3).textContent()).not.toContain('Can be removed');
    expect(await page.textContent('[data-testid=stick-reading]')).toContain('Do not remove it yet');
    await page.screenshot({ path: join(artifacts, 'sticks-01-intakes.png') });
    await row(1).locator('input[name=broughtBy]').fill('Pat Jones (EMS technician)');
    await row(1).locator('button[type=submit]').click();
    await page.waitForURL(/\/sticks/);
    expect(await row(1).textContent()).toContain('Pat Jones (EMS technician)');
    expect(await row(1).locator('input[name=broughtBy]').count()).toBe(0);
    expect(store.byId(1)?.broughtBy).toBe('Pat Jones (EMS technician)');
    const audit = db.prepare(`SELECT actor, details_json FROM audit_log WHERE action = 'stick.brought-by'`).get() as { actor: string; details_json: string };
    expect(audit.actor).toBe('olivia');
    await page.screenshot({ path: join(artifacts, 'sticks-02-brought-by.png') });
  }, 60_000);

  it('enrolls a plugged-in stick from the page as an export stick for a named EMS', async () => {
    if (server === undefined) throw new Error('server did not start');
    await page.goto(`${server.url}/sticks`);
    const candidate = page.locator('[data-testid=sticks-not-enrolled] [data-device="/dev/sdc1"]');
    expect(await candidate.textContent()).toContain('Kingston DataTraveler 3.0');
    expect(await page.textContent('[data-testid=sticks-not-enrolled]')).toContain('Nothing has been read from this stick');
    await page.locator('[data-testid=sticks-not-enrolled]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'sticks-03-not-enrolled.png') });
    await candidate.locator('input[name=ems]').fill('ES&S EMS, warehouse');
    await candidate.locator('button[type=submit]').click();
    await page.waitForURL(/\/sticks/);
    expect(await page.locator('[data-testid=sticks-not-enrolled]').count()).toBe(0);
    const enrolled = store.findStick('0401396DA5E2', '1A2B-3C4D');
    expect(enrolled?.ems).toBe('ES&S EMS, warehouse');
    expect(enrolled?.enrolledBy).toBe('olivia');
    expect(await page.textContent('body')).toContain('ES&S EMS, warehouse');
    const audit = db.prepare(`SELECT actor FROM audit_log WHERE action = 'stick.enrolled'`).get() as { actor: string } | undefined;
    expect(audit?.actor).toBe('olivia');
  }, 60_000);
});
