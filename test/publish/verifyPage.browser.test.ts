import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { runPublish } from '../../daemon/cli/commands/publish.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { inProcessSigner } from '../../daemon/snapshot/signerChoice.ts';
import { loadOrCreateApplianceKey } from '../../daemon/snapshot/minisign.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { ExportTree, image, oddNames } from '../restore/driveFixture.ts';

/**
 * verify.html in Debian's chromium from file:// (no server, no network): a good bundle against a
 * good folder (the export and a drive folder), a changed file named, a forged statement refused;
 * once with the browser's Ed25519 and once with the page's own library.
 */

const changed = 'central-scan/Tabulator1/Batch001/Image0002.tif';

describe('the offline verification page', () => {
  let work: string;
  let app: Appliance;
  let browser: Browser;
  let bundle: string;
  let tree: string;
  let driveA: string;
  let publicKeyLine: string;
  let rootHash: string;
  const requests: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'bs-verifypage-'));
    app = makeAppliance(join(work, 'appliance'));
    driveA = join(work, 'driveA');
    const driveB = join(work, 'driveB');
    mkdirSync(driveA);
    mkdirSync(driveB);
    // Names a browser can hand over (the restore fixture's non-UTF-8 name is left out; its name
    // with a backslash stays: browsers give that backslash as a folder separator).
    const exportTree = new ExportTree(join(work, 'export'), app);
    for (let i = 1; i <= 4; i++) exportTree.put(Buffer.from(`central-scan/Tabulator1/Batch001/Image000${i}.tif`), image(i));
    for (const [i, name] of oddNames.entries()) exportTree.put(name, `odd file ${i}\n`);
    assertOk(await app.engine().run({ reason: 'operator', actor: 'test', drives: folderDrives(driveA, driveB) }));
    exportTree.put(Buffer.from(changed), image(77));
    assertOk(await app.engine().run({ reason: 'end-of-day', actor: 'test', drives: folderDrives(driveA, driveB) }));
    tree = join(work, 'export');
    bundle = join(work, 'bundle');
    const signer = inProcessSigner(loadOrCreateApplianceKey(dataPaths(app.config).keys));
    expect(await runPublish([driveA, bundle], { out: () => undefined, err: () => undefined }, { signer, config: app.config })).toBe(0);
    publicKeyLine = readFileSync(join(bundle, 'ballotsafe-appliance.pub'), 'utf8').split('\n')[1] ?? '';
    rootHash = /^Root hash: ([0-9a-f]{64})$/m.exec(readFileSync(join(bundle, 'statement.txt'), 'utf8'))?.[1] ?? '';
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    app.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function open(withoutBrowserEd25519 = false, withoutWebCrypto = false): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    page.on('request', (r) => requests.push(r.url()));
    // A browser without WebCrypto (or a page it does not count as secure): everything from the page's own libraries.
    if (withoutWebCrypto) await page.addInitScript("Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined });");
    if (withoutBrowserEd25519) {
      // An older browser: WebCrypto without Ed25519.
      await page.addInitScript(`{
        const importKey = SubtleCrypto.prototype.importKey;
        SubtleCrypto.prototype.importKey = function (...args) {
          const alg = args[2];
          if ((typeof alg === 'string' ? alg : alg.name) === 'Ed25519') return Promise.reject(new DOMException('unsupported', 'NotSupportedError'));
          return importKey.apply(this, args);
        };
      }`);
    }
    await page.goto(`file://${join(bundle, 'verify.html')}`);
    return page;
  }

  const bundleFiles = (dir: string) => readdirSync(dir).filter((n) => n !== 'verify.html').map((n) => join(dir, n));

  async function verdict(page: Page, id: string): Promise<{ kind: string; text: string }> {
    const box = page.locator(`#${id}:not(.hidden)`);
    await box.waitFor({ timeout: 20_000 });
    const cls = (await box.getAttribute('class')) ?? '';
    return { kind: cls.replace('verdict', '').trim(), text: await box.innerText() };
  }

  it('says a good bundle is genuine and a good export folder and drive folder match it', async () => {
    const page = await open();
    await page.fill('#key', publicKeyLine);
    await page.fill('#root', rootHash.replace(/(.{4})/g, '$1 '));
    await page.setInputFiles('#bundle', bundleFiles(bundle));
    const b = await verdict(page, 'bundle-result');
    expect(b.text).toContain('Genuine: election “test-election”, snapshot 2');
    expect(b.text).toContain('the same as the one you typed');
    expect(b.text).toContain("the browser's own Ed25519");
    expect(b.kind).toBe('good');
    await page.setInputFiles('#folder', tree);
    const f = await verdict(page, 'folder-result');
    expect(f.text).toContain(`All ${oddNames.length + 4} files match the publication`);
    expect(f.kind).toBe('good');
    await page.screenshot({ path: join(work, 'good.png'), fullPage: true });
    await page.setInputFiles('#folder', join(driveA, 'ballotsafe', 'test-election'));
    await page.locator('#folder-result', { hasText: 'drive folder' }).waitFor();
    const d = await verdict(page, 'folder-result');
    expect(d.text).toContain('This drive folder holds exactly the published files of snapshot 2');
    expect(d.text).toContain('belong to later snapshots or to the drive’s own records');
    expect(d.kind).toBe('good');
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.close();
  });

  it('names a changed, a missing and an extra file in a bad folder', async () => {
    const bad = join(work, 'bad-tree');
    cpSync(tree, bad, { recursive: true });
    writeFileSync(join(bad, changed), 'not the published contents');
    rmSync(join(bad, 'results', 'summary.csv'));
    writeFileSync(join(bad, 'central-scan', 'planted.tif'), 'planted');
    const page = await open();
    await page.fill('#key', publicKeyLine);
    await page.setInputFiles('#bundle', bundleFiles(bundle));
    expect((await verdict(page, 'bundle-result')).kind).toBe('good');
    await page.setInputFiles('#folder', bad);
    const f = await verdict(page, 'folder-result');
    expect(f.kind).toBe('bad');
    expect(f.text).toContain('does NOT match the publication');
    expect(f.text).toMatch(new RegExp(`Changed \\(1\\): the contents differ from what was published\\n\\s+${changed}`));
    expect(f.text).toMatch(/Missing \(1\): .*\n\s+results\/summary.csv/);
    expect(f.text).toMatch(/Extra \(1\): .*\n\s+central-scan\/planted.tif/);
    await page.screenshot({ path: join(work, 'bad.png'), fullPage: true });
    await page.close();
  });

  it('without WebCrypto at all, checks the signature and names a changed file with its own SHA-256 and Ed25519', async () => {
    const bad = join(work, 'bad-tree-2');
    cpSync(tree, bad, { recursive: true });
    writeFileSync(join(bad, changed), 'not the published contents either');
    const page = await open(false, true);
    await page.fill('#key', publicKeyLine);
    await page.setInputFiles('#bundle', bundleFiles(bundle));
    const b = await verdict(page, 'bundle-result');
    expect(b.kind).toBe('good');
    expect(b.text).toContain('the Ed25519 library built into this page');
    await page.setInputFiles('#folder', bad);
    const f = await verdict(page, 'folder-result');
    expect(f.kind).toBe('bad');
    expect(f.text).toMatch(new RegExp(`Changed \\(1\\): .*\\n\\s+${changed}`));
    expect(f.text).toContain(`${oddNames.length + 3} files match`);
    await page.close();
  });

  it('refuses a changed statement, a changed manifest and the wrong key, with either Ed25519', async () => {
    const forged = join(work, 'forged');
    cpSync(bundle, forged, { recursive: true });
    writeFileSync(join(forged, 'statement.txt'), readFileSync(join(bundle, 'statement.txt'), 'utf8').replace(/^Files in the export: \d+$/m, 'Files in the export: 5'));
    const tampered = join(work, 'tampered');
    cpSync(bundle, tampered, { recursive: true });
    writeFileSync(join(tampered, 'manifest-sha256.txt'), `${readFileSync(join(bundle, 'manifest-sha256.txt'), 'utf8')}${'0'.repeat(64)}  planted.tif\n`);
    for (const withoutBrowserEd25519 of [false, true]) {
      const page = await open(withoutBrowserEd25519);
      await page.fill('#key', publicKeyLine);
      await page.setInputFiles('#bundle', bundleFiles(bundle));
      const good = await verdict(page, 'bundle-result');
      expect(good.kind).toBe('good');
      expect(good.text).toContain(withoutBrowserEd25519 ? 'the Ed25519 library built into this page' : "the browser's own Ed25519");
      await page.setInputFiles('#bundle', bundleFiles(forged));
      await page.locator('#bundle-result.bad').waitFor();
      expect((await verdict(page, 'bundle-result')).text).toContain('NOT GENUINE: the signature does not match the statement');
      await page.setInputFiles('#folder', tree);
      expect((await verdict(page, 'folder-result')).text).toContain('Check the publication first');
      await page.setInputFiles('#bundle', bundleFiles(tampered));
      await page.locator('#bundle-result', { hasText: 'was changed after the statement' }).waitFor();
      expect((await verdict(page, 'bundle-result')).text).toContain('manifest-sha256.txt was changed after the statement was signed');
      await page.fill('#key', '0123456789ABCDEF');
      await page.setInputFiles('#bundle', bundleFiles(bundle));
      await page.locator('#bundle-result', { hasText: 'NOT THE PUBLISHED KEY' }).waitFor();
      await page.close();
    }
  });

  it('with only a key id, or no key, says what was not checked', async () => {
    const page = await open();
    await page.setInputFiles('#bundle', bundleFiles(bundle));
    const none = await verdict(page, 'bundle-result');
    expect(none.kind).toBe('warn');
    expect(none.text).toContain('compare it with the key id the county published');
    await page.fill('#root', 'a'.repeat(64));
    await page.press('#root', 'Tab');
    await page.locator('#bundle-result', { hasText: 'root hash you typed' }).waitFor();
    expect((await verdict(page, 'bundle-result')).kind).toBe('bad');
    await page.close();
  });
});
