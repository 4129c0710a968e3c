import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { publicationFromDatabase } from '../../daemon/publish/webPublication.ts';
import { inProcessSigner, type Signer } from '../../daemon/snapshot/signerChoice.ts';
import { loadOrCreateApplianceKey, parsePublicKeyFile, publicKeyFile, verifyMinisign } from '../../daemon/snapshot/minisign.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { LoginRateLimiter } from '../../daemon/web/loginRateLimit.ts';
import { makeRig, type TestRig } from '../web/webTestFakes.ts';
import { historyFromEngine } from '../../daemon/web/wiring.ts';
import { makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { twoSnapshots } from '../restore/driveFixture.ts';

/** "Download the publication" on the Snapshot and History pages: the signed bundle as one ZIP. */
describe('publication download in the web UI', () => {
  let rig: TestRig;
  let app: Appliance;
  let signer: Signer;
  let web: ReturnType<typeof createWebApp>;
  let cookie: string;

  beforeAll(async () => {
    rig = await makeRig({ stepMs: 5, steps: 2 });
    app = makeAppliance(join(rig.dir, 'appliance'));
    mkdirSync(join(rig.dir, 'A'));
    mkdirSync(join(rig.dir, 'B'));
    await twoSnapshots(app, rig.dir, join(rig.dir, 'A'), join(rig.dir, 'B'));
    signer = inProcessSigner(loadOrCreateApplianceKey(dataPaths(app.config).keys));
    web = createWebApp(
      { ...rig.deps, snapshotHistory: historyFromEngine(app.engine()), publication: publicationFromDatabase(app.db, app.config, () => signer) },
      { rateLimiter: new LoginRateLimiter(5, 60_000), sseCheckMs: 50 },
    );
    const user = rig.deps.accounts.findUser('oscar');
    if (user === undefined) throw new Error('no observer');
    cookie = `bs_session=${rig.deps.accounts.createSession(user).token}`;
  }, 60_000);
  afterAll(() => {
    app.close();
    rig.cleanup();
  });

  it('offers the newest snapshot on the Snapshot page and each one on the History page', async () => {
    const snapshotPage = await (await web.request('/snapshot', { headers: { cookie } })).text();
    expect(snapshotPage).toContain('href="/snapshots/2/publication.zip"');
    const history = await (await web.request('/snapshots', { headers: { cookie } })).text();
    expect(history).toContain('href="/snapshots/1/publication.zip"');
  });

  it('gives a ZIP whose statement is signed by the appliance key, and records who downloaded it', async () => {
    const res = await web.request('/snapshots/1/publication.zip', { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="test-election-snapshot-1-publication.zip"');
    const zip = await JSZip.loadAsync(Buffer.from(await res.arrayBuffer()));
    const folder = 'test-election-snapshot-1-publication/';
    expect(Object.keys(zip.files).filter((n) => !n.endsWith('/')).sort()).toEqual(
      ['ballotsafe-appliance.pub', 'drive-manifest-sha256.txt', 'manifest-sha256.txt', 'statement.txt', 'statement.txt.minisig', 'verify.html'].map((n) => folder + n),
    );
    const statement = await zip.file(`${folder}statement.txt`)?.async('nodebuffer');
    const sig = await zip.file(`${folder}statement.txt.minisig`)?.async('string');
    const key = parsePublicKeyFile(publicKeyFile(signer));
    if (statement === undefined || sig === undefined || key === undefined) throw new Error('bundle incomplete');
    expect(statement.toString()).toMatch(/^Snapshot: 1$/m);
    expect(verifyMinisign(key, statement, sig)).toMatchObject({ ok: true });
    expect(verifyMinisign(key, Buffer.from(statement.toString().replace('Snapshot: 1', 'Snapshot: 2')), sig).ok).toBe(false);
    expect(rig.audit.recent(5).some((e) => e.action === 'publication.downloaded' && e.actor === 'oscar')).toBe(true);
  });

  it('refuses an unknown snapshot and a visitor who is not logged in', async () => {
    expect((await web.request('/snapshots/9/publication.zip', { headers: { cookie } })).status).toBe(404);
    const anonymous = await web.request('/snapshots/1/publication.zip');
    expect(anonymous.status).not.toBe(200);
    expect(anonymous.headers.get('content-type')).not.toBe('application/zip');
  });
});
