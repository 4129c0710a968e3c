/**
 * Issue #15, words for a clerk and accessibility, in chromium at 1024×768 against the real demo
 * daemon (`ballotsafe demo`), made busy as an election night is: a file not on the drives yet,
 * drive B unplugged, a captured file changed (an alert), a snapshot refused, logins.
 * Every page reachable from the tabs is walked; none may show a raw ISO time, "(s)", a system error
 * code, JSON, `undefined`/`NaN`, a dotted event name, "style style", a ballot key or a full path.
 * Screenshots go to test-artifacts/custody-words/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The functions passed to page.evaluate run in chromium; the project compiles without the DOM library.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare function getComputedStyle(e: unknown): any;
type HTMLElement = { offsetParent: unknown };

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(repoRoot, 'test-artifacts', 'custody-words');
const base = mkdtempSync(join(tmpdir(), 'ballotsafe-words-'));
const demoDir = join(base, 'demo');

let demo: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';

const forbidden: readonly [string, RegExp][] = [
  ['raw ISO time', /\d{4}-\d\d-\d\dT\d\d:\d\d/],
  ['"(s)" plural', /\(s\)/],
  ['system error code', /\bE(NOENT|ACCES|PERM|LOOP|IO|ROFS|NOSPC|NOTDIR|EXIST)\b/],
  ['raw JSON', /\{"/],
  ['undefined', /\bundefined\b/],
  ['NaN', /\bNaN\b/],
  ['dotted event name', /\b(web|snapshot|drive|capture|daemon|alert|user|custody|preaudit|import|audit)\.[a-z][a-z-]+/],
  ['"style style"', /style style/i],
  ['ballot key', /\b[dc]:\d+(_\d+_\d+)?\b/],
  ['stack text', /\bat [\w.<>]+ \(|Error: /],
];

async function untilText(child: ChildProcess, re: RegExp, ms: number): Promise<string> {
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`demo did not print ${re}: ${out}`)), ms);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (re.test(out)) {
        clearTimeout(timer);
        res(out);
      }
    });
    child.on('exit', (code) => rej(new Error(`demo exited ${code}: ${out}`)));
  });
}

function firstFile(dir: string): string {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      const f = firstFile(p);
      if (f !== '') return f;
    } else return p;
  }
  return '';
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  demo = spawn(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), 'demo', '--dir', demoDir, '--ballots', '6', '--port', '0'], { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = await untilText(demo, /The daemon keeps running/, 120_000);
  url = /The ballotsafe UI is at (http:\/\/[\d.:]+)/.exec(out)?.[1] ?? '';
  const password = /with password "([^"]+)"/.exec(out)?.[1] ?? '';
  // A busy night: drive B unplugged, a new export file not on the drives, a captured file changed.
  renameSync(join(demoDir, 'drive-b'), join(demoDir, 'drive-b-unplugged'));
  const exportDir = join(demoDir, 'export', 'dominion');
  writeFileSync(join(exportDir, 'late-batch-note.txt'), 'late batch\n');
  appendFileSync(firstFile(exportDir), 'changed after capture');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', 'demo');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${url}/`);
  // The capture polls every 2 s: wait until the changed file is an alert and the new file is counted.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=open-alerts]')?.textContent ?? '0') > 0, undefined, { timeout: 30_000 });
  // A snapshot refused (drive B is not plugged in) puts its words in the audit log too.
  await page.goto(`${url}/snapshot?confirm=1`);
  await page.click('[data-testid=confirm-snapshot]');
  await page.waitForLoadState('load');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (demo?.exitCode === null) demo.kill('SIGTERM');
  rmSync(base, { recursive: true, force: true });
});

describe('every page a clerk can reach', () => {
  it('has words for a clerk: no ISO times, "(s)", error codes, JSON, undefined, dotted names, ballot keys or paths', async () => {
    const seen = new Set<string>(['/']);
    const queue = ['/'];
    const found: string[] = [];
    while (queue.length > 0 && seen.size < 60) {
      const path = queue.shift() ?? '/';
      await page.goto(`${url}${path}`);
      const text = await page.evaluate(() => document.body.innerText);
      for (const [what, re] of forbidden) {
        const m = re.exec(text);
        if (m !== null) found.push(`${path}: ${what}: "${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ')}"`);
      }
      // Folder paths are for the technician: only the Settings page shows them.
      const at = text.indexOf(base);
      if (path !== '/settings' && at >= 0) found.push(`${path}: a full path: "${text.slice(Math.max(0, at - 80), at + 120).replace(/\s+/g, ' ')}"`);
      // a link marked `download` fetches a file (the evidence view's reports), not a page
      const links = await page.evaluate(() => [...document.querySelectorAll('a[href]:not([download])')].map((a) => a.getAttribute('href') ?? ''));
      for (const l of links) {
        const p = l.split('#')[0] ?? '';
        // downloads (the publication ZIP, reports) are files, not pages
        if (p.startsWith('/') && !p.startsWith('/api') && !p.startsWith('/assets') && !/\.(zip|xlsx|csv|json|pdf|png|tiff?)$/.test(p) && !seen.has(p)) {
          seen.add(p);
          queue.push(p);
        }
      }
    }
    expect(seen.size, [...seen].join(' ')).toBeGreaterThanOrEqual(10);
    expect(found).toEqual([]);
    for (const p of ['/', '/snapshot', '/alerts', '/audit', '/preaudit']) {
      await page.goto(`${url}${p}`);
      await shot(`page${p.replace(/\W+/g, '-')}`);
    }
  }, 120_000);

  it('links each alert to the page that fixes it, with its severity in words beside the colour', async () => {
    await page.goto(`${url}/alerts`);
    const alerts = await page.$$eval('.alert-list .alert', (els) => els.map((e) => ({ cls: e.className, pill: e.querySelector('.pill')?.textContent ?? '', pillCls: e.querySelector('.pill')?.className ?? '', link: e.querySelector('[data-testid=alert-page]')?.getAttribute('href') ?? null })));
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(a.link).not.toBeNull();
      expect(a.pill).toMatch(/Critical|Warning|Note/);
      const severity = /\b(critical|warning|info)\b/.exec(a.cls)?.[1];
      expect(a.pillCls).toContain({ critical: 'bad', warning: 'warn', info: 'neutral' }[severity ?? 'info']);
    }
    const badge = await page.$eval('.tab .badge', (e) => ({ cls: e.className, text: e.textContent ?? '', bg: getComputedStyle(e).backgroundColor }));
    const worst = alerts.some((a) => a.cls.includes('critical')) ? 'critical' : alerts.some((a) => a.cls.includes('warning')) ? 'warning' : 'info';
    expect(badge.cls).toContain(`badge-${worst}`);
    expect(badge.text).toContain(String(alerts.length));
    // The badge and the card of the worst alert share their colour.
    const card = await page.$eval(`.alert.${worst}`, (e) => getComputedStyle(e).borderLeftColor);
    expect(badge.bg).toBe(card);
  });
});

describe('accessibility', () => {
  it('starts with a skip link, and every focused control shows a visible focus ring', async () => {
    await page.goto(`${url}/snapshot`);
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => ({ cls: document.activeElement?.className ?? '', href: document.activeElement?.getAttribute('href') ?? '', top: document.activeElement?.getBoundingClientRect().top ?? -1 }));
    expect(first).toMatchObject({ cls: 'skip-link', href: '#main' });
    expect(first.top).toBeGreaterThanOrEqual(0); // on screen once focused
    await shot('focus-skip-link');
    const focusable = await page.$$eval('a[href], button:not([disabled]), input:not([type=hidden]), select, textarea', (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).length);
    expect(focusable).toBeGreaterThan(11); // log out, the tabs, the page's own controls
    for (let i = 1; i < focusable; i++) {
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => {
        const el = document.activeElement;
        if (el === null || el === document.body) return null;
        const s = getComputedStyle(el);
        return { what: `${el.tagName} ${el.textContent?.trim().slice(0, 30) ?? ''}`, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      expect(ring, `Tab ${i + 1} of ${focusable}`).not.toBeNull();
      expect(ring?.style, ring?.what).not.toBe('none');
      expect(ring?.width, ring?.what).toBeGreaterThanOrEqual(3);
    }
    await shot('focus-ring');
    // The skip link moves the keyboard to the page's content.
    await page.goto(`${url}/snapshot`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('has touch-size (44 px) controls on every page with a form', async () => {
    const small: string[] = [];
    for (const p of ['/', '/snapshot', '/snapshot?confirm=1', '/drives', '/alerts', '/preaudit', '/custody', '/snapshots', '/audit', '/settings']) {
      await page.goto(`${url}${p}`);
      const boxes = await page.$$eval('button, .button, input:not([type=hidden]), select, textarea, .tab', (els) =>
        els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => ({ what: `${e.tagName} ${(e.textContent ?? '').trim().slice(0, 30)}`, h: e.getBoundingClientRect().height, w: e.getBoundingClientRect().width })),
      );
      for (const b of boxes) if (b.h < 44 || b.w < 44) small.push(`${p}: ${b.what} ${Math.round(b.w)}×${Math.round(b.h)}`);
    }
    expect(small).toEqual([]);
  });

  it('never lets the "lost contact" bar cover a button', async () => {
    // Contact lost: the live-update stream cannot be reached (as when the appliance is down).
    await page.route('**/api/events', (r) => r.abort('connectionrefused'));
    const covered: string[] = [];
    let checked = 0;
    for (const size of [{ width: 1024, height: 768 }, { width: 800, height: 600 }]) {
      await page.setViewportSize(size);
      for (const p of ['/snapshot', '/', '/drives', '/alerts', '/custody', '/preaudit']) {
        await page.goto(`${url}${p}`);
        await page.waitForFunction(() => document.querySelector('#connection')?.hasAttribute('hidden') === false, undefined, { timeout: 30_000 });
        if (p === '/snapshot') await shot(`lost-contact-${size.width}`);
        const n = await page.$$eval('main .button, main button', (els) => els.length);
        checked += n;
        // Each button, scrolled as far as the page lets it go, can be seen clear of the bar.
        for (let i = 0; i < n; i++) {
          const hidden = await page.evaluate((index) => {
            const el = document.querySelectorAll('main .button, main button')[index];
            const bar = document.getElementById('connection');
            if (el === undefined || bar === null || (el as HTMLElement).offsetParent === null) return null;
            const clear = () => {
              const r = el.getBoundingClientRect();
              const b = bar.getBoundingClientRect();
              return !(r.top < b.bottom && r.bottom > b.top && r.left < b.right && r.right > b.left);
            };
            el.scrollIntoView({ block: 'end' });
            if (clear()) return null;
            el.scrollIntoView({ block: 'start' });
            if (clear()) return null;
            window.scrollTo(0, document.body.scrollHeight);
            return clear() ? null : (el.textContent ?? '').trim().slice(0, 30);
          }, i);
          if (hidden !== null) covered.push(`${size.width}×${size.height} ${p}: ${hidden}`);
        }
      }
    }
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.unroute('**/api/events');
    expect(checked).toBeGreaterThan(4);
    expect(covered).toEqual([]);
  }, 60_000);
});
