/**
 * The custody verdicts in a real browser (Debian chromium, 1024×768), as a clerk meets them: a fresh
 * box, files not on the drives, drive B unplugged, drives already handed off. Real drive service
 * (folder drives), real snapshot engine. Screenshots go to test-artifacts/custody/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { startWebServer, type RunningWebServer } from '../../daemon/web/server.ts';
import { makeCustodyRig, type CustodyRig } from './rig.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/custody/', import.meta.url));

let rig: CustodyRig;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
const text = async (selector: string) => (await page.textContent(selector)) ?? '';
const open = async (path: string) => {
  await page.goto(`${server?.url ?? ''}${path}`);
};

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  rig = await makeCustodyRig();
  server = assertOk(await startWebServer(rig.app, rig.config, silentLogger()));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await open('/login');
  await page.fill('input[name=name]', 'olivia');
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=verdict]');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rig?.cleanup();
});

describe('custody verdicts in chromium', () => {
  it('a fresh box is not "All good" and its drives are not "Ready"', async () => {
    rig.capture(5);
    await open('/');
    expect(await page.getAttribute('[data-testid=verdict]', 'class')).toContain('bad');
    const verdict = await text('[data-testid=verdict]');
    expect(verdict).not.toContain('All good');
    expect(verdict).toContain('Drive A has never been set up');
    expect(verdict).toContain('No snapshot has been written yet');
    await shot('01-fresh-overview');
    await open('/snapshot');
    expect(await text('main')).not.toContain('Ready');
    expect(await text('[data-field=drive-A]')).toContain('Not set up');
    expect(await page.locator('[data-testid=safe-to-remove]').count()).toBe(0);
    await shot('02-fresh-snapshot');
  });

  it('a fresh box is set up from the Drives page, without a terminal', async () => {
    await open('/drives');
    expect(await text('main')).not.toMatch(/ballotsafe enroll|At the appliance run/);
    await page.click('[data-testid=enroll-drive]');
    expect(await page.locator('[data-testid=enroll-form]').count()).toBe(2);
    await shot('02a-enroll-list');
    for (const role of ['A', 'B']) {
      const form = page.locator('[data-testid=enroll-form]').first();
      await form.locator(`input[name=role][value=${role}]`).check();
      expect((await form.locator('label.choice').first().boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
      await form.locator('[data-testid=enroll]').click();
      await page.waitForURL(/\/drives$/);
      if (role === 'A') await open('/drives/enroll');
    }
    expect(await text('[data-drive=A]')).toMatch(/Enrolled\s*Yes/);
    expect(await text('[data-drive=B]')).toMatch(/Enrolled\s*Yes/);
    await shot('02b-enrolled-drives');
  });

  it('files not on the drives: red, no "safe to remove", no "Hand off"', async () => {
    expect((await rig.snapshot()).status).toBe(202);
    rig.capture(3, 200_000);
    await open('/snapshot');
    expect(await text('[data-testid=not-safe]')).toContain('3 captured files');
    expect(await page.locator('[data-testid=safe-to-remove]').count()).toBe(0);
    expect(await page.locator('[data-testid=handoff]').count()).toBe(0);
    await shot('03-files-not-on-drives-snapshot');
    await open('/');
    expect(await text('[data-testid=verdict]')).toContain('not on both drives yet');
    expect(await text('[data-testid=not-on-drives]')).toBe('3');
    await shot('04-files-not-on-drives-overview');
  });

  it('drive B unplugged: named everywhere, never "Verified", and End-of-day says so', async () => {
    expect((await rig.snapshot()).status).toBe(202);
    await open('/snapshot');
    expect(await page.locator('[data-testid=handoff]').count()).toBe(1); // all on both drives: offered
    rig.unplug('B');
    await open('/snapshot');
    expect(await page.locator('[data-testid=handoff]').count()).toBe(0);
    expect(await text('[data-testid=not-safe]')).toContain('Drive B is not plugged in');
    expect(await text('[data-field=drive-B]')).toBe('Not connected');
    rig.capture(2);
    await page.click('[data-testid=start-snapshot]');
    // Said before confirming: drive A alone gets this snapshot (issue #15: the other drive still gets it).
    expect(await text('[data-testid=drops-out]')).toContain('Drive B is not plugged in, so it gets nothing from this snapshot.');
    expect(await text('[data-testid=drops-out]')).toContain('Only drive A gets this snapshot.');
    await shot('05a-drive-b-unplugged-confirm');
    await page.click('[data-testid=confirm-snapshot]');
    await page.waitForSelector('text=Drive B is not plugged in, so it gets nothing from this snapshot.');
    expect(await text('main')).not.toMatch(/identity file|enroll it again/);
    expect(await text('[data-testid=not-safe]')).toContain('drive B lacks 2');
    expect(await page.locator('[data-testid=handoff]').count()).toBe(0);
    expect(await page.locator('nav.tabs a.tab').count()).toBeGreaterThan(5); // not a dead end
    await shot('05-drive-b-unplugged-end-of-day');
    await open('/drives');
    const cardB = await text('[data-drive=B]');
    expect(cardB).toMatch(/Enrolled\s*Yes/);
    expect(cardB).toMatch(/Last verification\s*not connected: cannot be checked now/);
    expect(cardB).not.toContain('OK');
    await shot('06-drive-b-unplugged-drives');
    await open('/');
    expect(await text('[data-testid=verdict]')).toContain('Drive B is not plugged in');
    await shot('07-drive-b-unplugged-overview');
    rig.plugIn('B');
    // Plugged back in, End-of-day brings drive B level: safe to remove again.
    expect((await rig.snapshot()).status).toBe(202);
    await open('/snapshot');
    expect(await page.locator('[data-testid=safe-to-remove]').count()).toBe(1);
  });

  it('already handed off: no second hand-off, the record is shown instead', async () => {
    await open('/snapshot');
    await page.click('[data-testid=handoff]');
    // Touch-size fields; the witness is required by the browser before anything is sent.
    for (const name of ['destinationA', 'destinationB', 'sealA', 'sealB', 'witness']) {
      const box = await page.locator(`input[name=${name}]`).boundingBox();
      expect(box?.height ?? 0, name).toBeGreaterThanOrEqual(44);
    }
    expect((await page.locator('[data-testid=record-handoff]').boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
    await page.fill('input[name=destinationA]', "Clerk's office safe");
    await page.fill('input[name=destinationB]', "Sheriff's evidence room");
    await page.fill('input[name=sealA]', 'EB-2026-0417');
    await page.fill('input[name=sealB]', 'EB-2026-0418');
    await page.click('[data-testid=record-handoff]');
    expect(await page.locator('input[name=witness]:invalid').count()).toBe(1);
    expect(rig.custodyCount()).toBe(0);
    await page.fill('input[name=witness]', 'Sam Witness');
    await shot('08a-handoff-form');
    await page.click('[data-testid=record-handoff]');
    await page.waitForURL(/\/custody\/\d+\/sheet/);
    expect(await text('#election-title')).toBe('Custody Test County');
    expect(await text('#snapshot-number')).toContain('#4');
    expect(await text('#signing-key')).toMatch(/^[0-9A-F]{16}$/);
    expect(await text('#recorded-at')).toMatch(/^\w+day, \w+ \d{1,2}, \d{4} at \d{1,2}:\d{2} [AP]M$/);
    expect(await text('tr[data-drive=B]')).toContain('EB-2026-0418');
    expect(await page.locator('.sig').count()).toBe(4);
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.sheet-tools')).toBe(false);
    await shot('08b-handoff-sheet-print');
    await page.pdf({ path: join(artifacts, 'handoff-sheet.pdf'), format: 'Letter' });
    await page.emulateMedia({ media: 'screen' });
    await open('/snapshot');
    expect(await page.locator('[data-testid=handoff]').count()).toBe(0);
    expect(await text('[data-testid=handoff-refused]')).toContain('already handed off');
    await shot('08-handed-off-snapshot');
    await open('/snapshots/4/handoff');
    expect(await text('main')).toContain('already handed off');
    await shot('09-handed-off-second-try');
    // the drives leave for the safes
    rig.unplug('A');
    rig.unplug('B');
    await open('/');
    const verdict = await text('[data-testid=verdict]');
    expect(verdict).toContain('were handed off');
    expect(verdict).not.toContain('not plugged in');
    await shot('10-handed-off-overview');
    expect(rig.custodyCount()).toBe(1);
  });

  it('lost contact with the appliance: the green box and "Hand off" do not stay up', async () => {
    rig.plugIn('A');
    rig.plugIn('B');
    rig.capture(1);
    expect((await rig.snapshot()).status).toBe(202);
    await open('/snapshot');
    await page.locator('[data-testid=safe-to-remove]').waitFor({ state: 'visible' });
    expect(await page.isVisible('[data-testid=handoff]')).toBe(true);
    expect(await page.isVisible('[data-testid=offline]')).toBe(false);
    await server?.close();
    server = undefined;
    await page.locator('[data-testid=offline]').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await page.isVisible('[data-testid=safe-to-remove]')).toBe(false);
    expect(await page.isVisible('[data-testid=handoff]')).toBe(false);
    await shot('11-lost-contact');
  });
});
