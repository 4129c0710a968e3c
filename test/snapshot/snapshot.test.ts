import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { exportZips } from '../../daemon/snapshot/exportZips.ts';
import { secretKeyFileName } from '../../daemon/snapshot/minisign.ts';
import { escapeSegment, unescapeSegment } from '../../daemon/snapshot/names.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { folderDrives, makeAppliance, type Appliance } from './fixture.ts';

const repo = join(import.meta.dirname, '..', '..');

function bagsOf(drive: string): string[] {
  const dir = join(drive, 'ballotsafe', 'test-election', 'snapshots');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function sh(cmd: string, cwd: string): { code: number; out: string } {
  const r = spawnSync('sh', ['-c', cmd], { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The standard-tools check from the drive README, run literally. */
function standardToolsCheck(drive: string): void {
  const election = join(drive, 'ballotsafe', 'test-election');
  expect(sh('sha256sum -c --quiet cumulative-manifest-sha256.txt', election)).toEqual({ code: 0, out: '' });
  for (const bag of bagsOf(drive)) {
    const dir = join(election, 'snapshots', bag);
    expect(sh('sha256sum -c --quiet tagmanifest-sha256.txt && sha256sum -c --quiet manifest-sha256.txt', dir)).toEqual({ code: 0, out: '' });
    const mini = sh('minisign -Vm tagmanifest-sha256.txt -p ../../ballotsafe-appliance.pub', dir);
    expect(mini.out).toContain('Signature and comment signature verified');
    expect(mini.code).toBe(0);
  }
}

describe('snapshot engine on folder drives', () => {
  let app: Appliance;
  let a: string;
  let b: string;
  beforeEach(() => {
    app = makeAppliance();
    a = join(app.dir, 'driveA');
    b = join(app.dir, 'driveB');
    mkdirSync(a);
    mkdirSync(b);
  });
  afterEach(() => app.close());

  it('writes identical, signed, chained bags that sha256sum, minisign and verify accept', async () => {
    for (let i = 0; i < 12; i++) app.addFile('central-scan', `Tabulator00001/Batch00${i % 3}/Image${String(i).padStart(5, '0')}.tif`, `ballot image ${i}`);
    app.addFile('cvr-exports', 'CvrExport_1.json', '{"Sessions":[]}', 'cvr');
    const weird = ['odd/a:b?c*"d|e<f>g\\h.tif', 'odd/CON', 'odd/nul.txt', 'odd/trailing. .', 'odd/Case.TIF', 'odd/case.tif', 'odd/pct%25^caret', 'odd/tab\there', `odd/${'x'.repeat(300)}.tif`, 'odd/line\nfeed'];
    for (const [i, p] of weird.entries()) app.addFile('central-scan', p, `weird ${i}`);
    const engine = app.engine();
    const progress: string[] = [];
    const first = assertOk(await engine.run({ reason: 'operator', actor: 'alice', drives: folderDrives(a, b) }, (p) => progress.push(p.phase)));
    expect(first.sequence).toBe(1);
    expect(first.files).toBe(23);
    expect(first.perDrive).toEqual([
      { role: 'A', state: 'complete' },
      { role: 'B', state: 'complete' },
    ]);
    expect(progress).toEqual(expect.arrayContaining(['writing', 'syncing', 'verifying', 'manifests', 'done']));
    const bagDir = join(a, 'ballotsafe', 'test-election', 'snapshots', first.bagName);
    const tag = readFileSync(join(bagDir, 'tagmanifest-sha256.txt'));
    expect(execFileSync('sha256sum', [join(bagDir, 'tagmanifest-sha256.txt')], { encoding: 'utf8' }).slice(0, 64)).toBe(first.rootHash);
    expect(tag.length).toBeGreaterThan(0);
    // Every odd name is stored escaped and mapped back in ballotsafe-files.tsv.
    const tsv = readFileSync(join(bagDir, 'ballotsafe-files.tsv'), 'utf8');
    expect(tsv).toContain('odd/tab\\there');
    const stored = readdirSync(join(bagDir, 'data', 'central-scan', 'odd'));
    expect(stored).toEqual(expect.arrayContaining(['^43ON', '^6Eul.txt', 'trailing^2E^20^2E', 'tab^09here', 'pct^2525^5Ecaret', 'Case.TIF', 'case^~2.tif', 'a^3Ab^3Fc^2A^22d^7Ce^3Cf^3Eg^5Ch.tif', 'line^0Afeed']));
    for (const s of stored) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);

    app.addFile('central-scan', 'Tabulator00001/Batch000/Image00000.tif', 'rescanned'); // a new version of a path
    app.addFile('central-scan', 'Tabulator00001/Batch003/Image00100.tif', 'new');
    const second = assertOk(await engine.run({ reason: 'end-of-day', actor: 'system', drives: folderDrives(a, b) }));
    expect(second.sequence).toBe(2);
    expect(second.files).toBe(2);
    const info = readFileSync(join(a, 'ballotsafe', 'test-election', 'snapshots', second.bagName, 'bag-info.txt'), 'utf8');
    expect(info).toContain(`Ballotsafe-Previous-Tagmanifest-SHA256: ${first.rootHash}`);
    expect(info).toContain('Payload-Oxum: 12.2');

    expect(sh(`diff -r "${a}" "${b}"`, app.dir)).toEqual({ code: 0, out: '' });
    standardToolsCheck(a);
    standardToolsCheck(b);
    // The drive's README.txt commands, run literally from the drive's root, as a stranger would.
    const readme = readFileSync(join(a, 'ballotsafe', 'test-election', 'README.txt'), 'utf8');
    const block = readme.slice(readme.indexOf('Check it with standard tools'), readme.indexOf('Compare the key id'));
    const script = block.split('\n').filter((l) => l.startsWith('  ')).join('\n');
    expect(script).toContain('minisign -Vm tagmanifest-sha256.txt');
    const literal = sh(script, a);
    expect(literal.code).toBe(0);
    expect(literal.out).not.toContain('FAILED');
    expect(literal.out.match(/Signature and comment signature verified/g)).toHaveLength(2);
    expect(literal.out).toContain(`${first.rootHash}  snapshots/${first.bagName}/tagmanifest-sha256.txt`);
    const report = await verifyPath(a);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.files).toBe(25);
    const index = readFileSync(join(a, 'ballotsafe', 'test-election', 'cumulative-index.tsv'), 'utf8').trim().split('\n');
    expect(index).toHaveLength(1 + 25);
    expect(statSync(join(dataPaths(app.config).keys, secretKeyFileName)).mode & 0o777).toBe(0o600);
  });

  it('names flipped, missing and extra files and broken signatures (verify CLI exit code)', async () => {
    for (let i = 0; i < 5; i++) app.addFile('central-scan', `T1/B1/img${i}.tif`, `image ${i}`);
    const out = assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    const bag = join(a, 'ballotsafe', 'test-election', 'snapshots', out.bagName);
    const cli = (target: string) => spawnSync(process.execPath, [join(repo, 'bin', 'ballotsafe.js'), 'verify', target], { encoding: 'utf8' });
    expect((await verifyPath(a)).ok).toBe(true);

    const victim = join(bag, 'data', 'central-scan', 'T1', 'B1', 'img2.tif');
    const bytes = readFileSync(victim);
    bytes[3] = (bytes[3] ?? 0) ^ 0x01;
    writeFileSync(victim, bytes);
    unlinkSync(join(bag, 'data', 'central-scan', 'T1', 'B1', 'img4.tif'));
    writeFileSync(join(bag, 'data', 'central-scan', 'T1', 'B1', 'planted.tif'), 'x');
    const r = cli(a);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/BAD +ballotsafe\/test-election\/snapshots\/[^/]+\/data\/central-scan\/T1\/B1\/img2\.tif: SHA-256 is/);
    expect(r.stdout).toMatch(/MISSING +ballotsafe\/test-election\/snapshots\/[^/]+\/data\/central-scan\/T1\/B1\/img4\.tif/);
    expect(r.stdout).toMatch(/EXTRA +ballotsafe\/test-election\/snapshots\/[^/]+\/data\/central-scan\/T1\/B1\/planted\.tif/);
    expect(r.stdout).toContain('FAIL');
    expect((await verifyPath(b)).ok).toBe(true);

    // A forged tag manifest (hashes recomputed by hand) fails the signature.
    const bagB = join(b, 'ballotsafe', 'test-election', 'snapshots', out.bagName);
    appendFileSync(join(bagB, 'bag-info.txt'), 'Forged: yes\n');
    const tm = readFileSync(join(bagB, 'tagmanifest-sha256.txt'), 'utf8').split('\n');
    const newHash = execFileSync('sha256sum', ['bag-info.txt'], { cwd: bagB, encoding: 'utf8' }).slice(0, 64);
    writeFileSync(join(bagB, 'tagmanifest-sha256.txt'), tm.map((l) => (l.endsWith('  bag-info.txt') ? `${newHash}  bag-info.txt` : l)).join('\n'));
    const rb = await verifyPath(b);
    expect(rb.ok).toBe(false);
    expect(rb.problems).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'SIGNATURE', detail: 'signature does not match the file' })]));
  });

  it('refuses a second snapshot while one runs, in-process and across processes; takes over a stale lock', async () => {
    for (let i = 0; i < 30; i++) app.addFile('central-scan', `T/B/${i}.tif`, Buffer.alloc(50_000, i));
    const engine = app.engine();
    const first = engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) });
    const second = await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.code).toBe('snapshot-busy');
    expect(engine.isBusy()).toBe(true);
    assertOk(await first);
    expect(engine.isBusy()).toBe(false);

    // Another live process holds the lock (a CLI snapshot, say).
    const holderScript = `
import { SnapshotLock } from ${JSON.stringify(join(repo, 'daemon', 'snapshot', 'lock.ts'))};
const lock = new SnapshotLock(process.argv[1]);
if (lock.tryAcquire('operator') !== undefined) process.exit(3);
process.stdout.write('held\\n');
// Keep the lock reachable: a collected connection would let go of it.
setInterval(() => void lock, 1000);
`;
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holderScript, app.config.dataDir], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = holder.pid ?? -1;
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
      });
      const lockPath = join(app.config.dataDir, 'snapshot.lock');
      const busy = await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) });
      expect(busy.ok).toBe(false);
      if (!busy.ok) {
        expect(busy.error.code).toBe('snapshot-busy');
        expect(busy.error.message).toContain(`process ${pid}`);
      }
      // Killed without releasing: the kernel drops its lock; the note it left does not block.
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      expect(existsSync(lockPath)).toBe(true);
      assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
      expect(existsSync(lockPath)).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('needs two drives for a new snapshot and says which drive is missing', async () => {
    app.addFile('central-scan', 'x.tif', 'x');
    const one = await app.engine().run({ reason: 'operator', actor: 't', drives: [{ role: 'A', root: a }] });
    expect(one.ok ? '' : one.error.code).toBe('snapshot-needs-two-drives');
    // Issue #15: a drive that is not there drops out; drive A still gets the snapshot.
    const gone = assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a, join(app.dir, 'nope')) }));
    expect(gone.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    expect(gone.perDrive[1]?.error?.message).toMatch(/Drive B is not available/);
  });

  it('a full snapshot onto a new pair holds everything in one bag; a blank pair catches up the chain', async () => {
    for (let i = 0; i < 4; i++) app.addFile('central-scan', `T/B/${i}.tif`, `v${i}`);
    const engine = app.engine();
    assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    app.addFile('central-scan', 'T/B/9.tif', 'v9');
    assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    const c = join(app.dir, 'driveC');
    const d = join(app.dir, 'driveD');
    mkdirSync(c);
    mkdirSync(d);
    const full = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(c, d), full: true }));
    expect(full.files).toBe(5);
    expect(bagsOf(c)).toEqual([full.bagName]);
    expect((await verifyPath(c)).ok).toBe(true);
    // A blank pair without --full: the earlier bags are copied (identical), then the new one.
    const e = join(app.dir, 'driveE');
    const f = join(app.dir, 'driveF');
    mkdirSync(e);
    mkdirSync(f);
    app.addFile('central-scan', 'T/B/10.tif', 'v10');
    const next = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(e, f) }));
    expect(next.sequence).toBe(4);
    expect(bagsOf(e)).toEqual(bagsOf(c).concat(next.bagName));
    const rep = await verifyPath(e);
    expect(rep.problems).toEqual([]);
    // The old pair A/B catches up bags 3 and 4 on its next snapshot.
    app.addFile('central-scan', 'T/B/11.tif', 'v11');
    const five = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    expect(five.sequence).toBe(5);
    expect(bagsOf(a)).toHaveLength(5);
    expect(sh(`diff -r "${a}" "${b}"`, app.dir).code).toBe(0);
    expect((await verifyPath(a)).problems).toEqual([]);
  });

  it('exports stored zip64 ZIPs under the size limit, never splitting a batch folder', async () => {
    for (let batch = 0; batch < 5; batch++) for (let i = 0; i < 4; i++) app.addFile('central-scan', `Tab1/Batch${batch}/img${i}.tif`, Buffer.alloc(10_000, batch * 10 + i));
    app.addFile('central-scan', 'Tab1/Batch0/img0.tif', Buffer.alloc(10_000, 99)); // newer version wins
    const dest = join(app.dir, 'export');
    const res = assertOk(await exportZips({ db: app.db, vaultDir: dataPaths(app.config).vault, electionName: 'test-election', dest, maxBytes: 100_000, logger: silentLogger() }));
    expect(res.zips.length).toBeGreaterThanOrEqual(3);
    expect(sh('sha256sum -c --quiet test-election-manifest-sha256.txt', dest)).toEqual({ code: 0, out: '' });
    const seen = new Map<string, string>();
    for (const z of res.zips) {
      expect(statSync(join(dest, z.name)).size).toBeLessThanOrEqual(100_000);
      const listing = execFileSync('zipinfo', ['-v', join(dest, z.name)], { encoding: 'utf8' });
      expect(listing).toMatch(/compression method:\s+none \(stored\)/);
      expect(listing).not.toMatch(/compression method:\s+deflated/);
      const names = execFileSync('zipinfo', ['-1', join(dest, z.name)], { encoding: 'utf8' }).trim().split('\n');
      for (const n of names) {
        const folder = n.slice(0, n.lastIndexOf('/'));
        expect(seen.get(folder) ?? z.name).toBe(z.name); // a folder lives in exactly one zip
        seen.set(folder, z.name);
      }
    }
    expect(seen.size).toBe(5);
    const content = execFileSync('unzip', ['-p', join(dest, res.zips[0]?.name ?? ''), 'central-scan/Tab1/Batch0/img0.tif']);
    expect(content.equals(Buffer.alloc(10_000, 99))).toBe(true);
    const tooSmall = await exportZips({ db: app.db, vaultDir: dataPaths(app.config).vault, electionName: 'x', dest: join(app.dir, 'e2'), maxBytes: 20_000, logger: silentLogger() });
    expect(tooSmall.ok ? '' : tooSmall.error.code).toBe('export-batch-too-large');
  });

  it('escapes names reversibly', () => {
    for (const s of ['a:b', 'CON', 'x. ', '^5E', '100%', 'tab\t', 'ünïcödé?', 'COM1.txt', '..']) {
      const e = escapeSegment(s);
      expect(e).not.toMatch(/[":*?<>|\\%\u0000-\u001f]|[. ]$/);
      expect(unescapeSegment(e)).toBe(s);
    }
  });

  it('raises no alert on a clean run', async () => {
    app.addFile('central-scan', 'a.tif', 'a');
    assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    expect(new AlertLog(app.db, silentLogger()).open()).toEqual([]);
  });
});
