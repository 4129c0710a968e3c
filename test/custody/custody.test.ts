/**
 * Issue #15 "What was found", custody slice: every verdict a person sees and every guarded action,
 * through the web app as the daemon wires it (real drive service, real snapshot engine, folder drives).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { publicKeyFileName } from '../../daemon/snapshot/minisign.ts';
import { makeCustodyRig, type CustodyRig } from './rig.ts';

interface Overview {
  verdict: { ok: boolean; headline: string; problems: { message: string; action: string }[] };
  notOnDrives: { files: number };
}
interface Failure {
  error: { code: string; message: string; action?: string };
}

let rig: CustodyRig;

beforeEach(async () => {
  rig = await makeCustodyRig();
});

afterEach(() => {
  rig.cleanup();
});

const overview = async () => (await (await rig.get('/api/overview')).json()) as Overview;
const problems = (o: Overview) => o.verdict.problems.map((p) => p.message).join('\n');
const handOff = (sequence: number) => rig.post(`/api/snapshots/${sequence}/handoff`, { destinationA: "Clerk's office safe", destinationB: "Sheriff's evidence room", witness: 'Sam Witness' });
const auditCount = (action: string) => (rig.db.prepare('SELECT count(*) AS n FROM audit_log WHERE action = ?').get(action) as { n: number }).n;

describe('a fresh box (no enrolled drive, no snapshot ever)', () => {
  it('is not green and does not show the drives "Ready"', async () => {
    rig.capture(3);
    const o = await overview();
    expect(o.verdict.ok).toBe(false);
    expect(problems(o)).toContain('Drive A has never been set up');
    expect(problems(o)).toContain('Drive B has never been set up');
    expect(problems(o)).toContain('No snapshot has been written yet');
    const page = await (await rig.get('/snapshot')).text();
    expect(page).not.toContain('Ready');
    expect(page).not.toContain('data-testid="safe-to-remove"');
    expect(page).toContain('Not set up (never enrolled)');
  });
});

describe('protected, with an alert open elsewhere', () => {
  it('says the alert needs attention without calling the drives "not protected"', async () => {
    await rig.enroll();
    rig.capture(3);
    expect((await rig.snapshot()).status).toBe(202);
    expect((await overview()).verdict.ok).toBe(true);
    rig.db
      .prepare(`INSERT INTO alerts (severity, code, message, raised_at) VALUES ('warning', 'preaudit-disagreements', 'The pre-audit found 1 contest reading that disagrees with the CVRs.', ?)`)
      .run(new Date().toISOString());
    const o = await overview();
    expect(o.verdict.ok).toBe(false);
    expect(o.verdict.headline).toBe('Needs attention: 1 problem');
    expect(problems(o)).toContain('1 alert needs attention');
  });
});

describe('files captured but not on the drives', () => {
  it('turn the verdict red, take "safe to remove" and "Hand off" away, and refuse the hand-off', async () => {
    await rig.enroll();
    rig.capture(3);
    expect((await rig.snapshot()).status).toBe(202);
    expect((await overview()).verdict.ok).toBe(true);
    expect(await (await rig.get('/snapshot')).text()).toContain('data-testid="safe-to-remove"');
    rig.capture(2, 100_000);
    const o = await overview();
    expect(o.verdict.ok).toBe(false);
    expect(o.notOnDrives.files).toBe(2);
    expect(problems(o)).toContain('2 captured files');
    const page = await (await rig.get('/snapshot')).text();
    expect(page).not.toContain('data-testid="safe-to-remove"');
    expect(page).not.toContain('data-testid="handoff"');
    const refused = await handOff(1);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Failure).error.message).toContain('2 captured files');
    expect(rig.custodyCount()).toBe(0);
  });

  it('count a crashed pending bag as not on the drives (the overview stays red)', async () => {
    await rig.enroll();
    rig.capture(2);
    await rig.snapshot();
    rig.capture(4);
    // what a crash mid-write leaves: the next snapshot planned (its items recorded), no drive complete
    const prev = rig.db.prepare<[], { root_hash: string }>('SELECT root_hash FROM snapshots ORDER BY sequence DESC LIMIT 1').get();
    const info = rig.db
      .prepare(
        `INSERT INTO snapshots (election, sequence, bag_name, reason, actor, full, state, started_at, files, bytes, root_hash, previous_root_hash, tag_files_json)
         VALUES ('custody-test', 2, '000002-crashed', 'end-of-day', 'olivia', 0, 'pending', ?, 4, 16384, ?, ?, '{}')`,
      )
      .run(new Date(Date.now() + 1000).toISOString(), 'f'.repeat(64), prev?.root_hash ?? null);
    rig.db
      .prepare(`INSERT INTO snapshot_items (snapshot_id, file_version_id, payload_path, sha256, size) SELECT ?, id, 'data/' || rel_path, sha256, size FROM file_versions WHERE id > 2`)
      .run(Number(info.lastInsertRowid));
    rig.db.prepare(`INSERT INTO snapshot_drive_writes (snapshot_id, role, drive_root, purpose, state, started_at) VALUES (?, 'A', ?, 'snapshot', 'writing', ?)`).run(Number(info.lastInsertRowid), rig.config.dataDir, new Date().toISOString());
    const o = await overview();
    expect(o.verdict.ok).toBe(false);
    expect(o.notOnDrives.files).toBe(4);
    expect(problems(o)).toContain('Snapshot #2 did not finish');
  });
});

describe('a drive that failed its write', () => {
  it('keeps the files counted as not on the drives and the drive card says failed', async () => {
    await rig.enroll();
    rig.capture(3);
    await rig.snapshot();
    // what the engine records when drive B fails verification: its write failed, the snapshot on one drive only
    rig.db.prepare(`UPDATE snapshot_drive_writes SET state = 'failed', error_message = 'Drive B read back different bytes.' WHERE role = 'B'`).run();
    rig.db.prepare(`UPDATE snapshots SET state = 'degraded'`).run();
    const o = await overview();
    expect(o.verdict.ok).toBe(false);
    expect(o.notOnDrives.files).toBe(3);
    expect(problems(o)).toContain('Drive B failed while writing snapshot #1');
    const page = await (await rig.get('/snapshot')).text();
    expect(page).toMatch(/data-field="drive-B">Failed/);
    expect(page).not.toContain('data-testid="handoff"');
    expect((await handOff(1)).status).toBe(409);
  });
});

describe('drive B unplugged', () => {
  it('is named on the overview, and its card is neither "Verified" nor "Enrolled: No"', async () => {
    await rig.enroll();
    rig.capture(3);
    await rig.snapshot();
    rig.unplug('B');
    const o = await overview();
    expect(o.verdict.ok).toBe(false);
    expect(problems(o)).toContain('Drive B is not plugged in');
    const drives = (await (await rig.get('/api/drives')).json()) as { drives: { role: string; present: boolean; enrolled: boolean; lastVerifyOk: boolean | null }[] };
    expect(drives.drives.find((d) => d.role === 'B')).toMatchObject({ present: false, enrolled: true, lastVerifyOk: null });
    const page = await (await rig.get('/snapshot')).text();
    expect(page).not.toContain('data-testid="safe-to-remove"');
    expect(page).toMatch(/data-field="drive-B">Not connected/);
  });

  it('makes End-of-day say that drive B is not plugged in (not "no identity file … enroll it again")', async () => {
    await rig.enroll();
    rig.capture(3);
    await rig.snapshot();
    rig.unplug('B');
    const res = await rig.snapshot();
    // Drive A still gets the snapshot; drive B drops out with the plain reason (oneDriveLeft.test.ts has the rest).
    expect(res.status).toBe(202);
    const e = rig.deps.snapshot.current().outcome?.perDrive.find((d) => d.role === 'B')?.error;
    expect(e?.message).toBe('Drive B is not plugged in, so it gets nothing from this snapshot.');
    expect((e?.message ?? '') + (e?.action ?? '')).not.toMatch(/identity file|enroll it again/);
  });

  it('refuses the hand-off instead of recording "B ejected"', async () => {
    await rig.enroll();
    rig.capture(3);
    await rig.snapshot();
    rig.unplug('B');
    const res = await handOff(1);
    expect(res.status).toBe(409);
    expect(((await res.json()) as Failure).error.message).toContain('Drive B is not plugged in');
    expect(rig.custodyCount()).toBe(0);
  });
});

describe('hand-off guards', () => {
  it('hands the same snapshot off once only, also under three parallel requests', async () => {
    await rig.enroll();
    rig.capture(3);
    await rig.snapshot();
    const results = await Promise.all([handOff(1), handOff(1), handOff(1)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(rig.custodyCount()).toBe(1);
    // the drives come back (plugged in again): still no second record for the same snapshot
    const again = await handOff(1);
    expect(again.status).toBe(409);
    expect(((await again.json()) as Failure).error.code).toBe('already-handed-off');
    expect(rig.custodyCount()).toBe(1);
    const page = await (await rig.get('/snapshot')).text();
    expect(page).not.toContain('data-testid="handoff"');
  });

  it("keeps each drive's seal number and the signing key id with the record, and prints them on the sheet", async () => {
    await rig.enroll();
    rig.capture(2);
    await rig.snapshot();
    const res = await rig.post('/api/snapshots/1/handoff', { destinationA: "Clerk's office safe", destinationB: "Sheriff's evidence room", witness: 'Sam Witness', sealA: 'EB-2026-0417', sealB: 'EB-2026-0418' });
    expect(res.status).toBe(200);
    const row = rig.db.prepare('SELECT drives_json, signing_key_id FROM custody_records').get() as { drives_json: string; signing_key_id: string | null };
    expect((JSON.parse(row.drives_json) as { seal?: string }[]).map((d) => d.seal)).toEqual(['EB-2026-0417', 'EB-2026-0418']);
    // The key id as minisign prints it: bytes 2..9 of the public key, little-endian, upper-case hex.
    const pub = readFileSync(join(dataPaths(rig.config).keys, publicKeyFileName), 'utf8').split('\n')[1] ?? '';
    const keyId = Buffer.from(Buffer.from(pub, 'base64').subarray(2, 10)).reverse().toString('hex').toUpperCase();
    expect(row.signing_key_id).toBe(keyId);
    const sheet = await (await rig.get('/custody/1/sheet')).text();
    expect(sheet).toContain(`<code id="signing-key">${keyId}</code>`);
    expect(sheet).toContain('EB-2026-0418');
    expect(sheet).toContain('Custody Test County');
  });

  it('refuses a second custody record for a snapshot in the database itself', async () => {
    const insert = rig.db.prepare(`INSERT INTO custody_records (recorded_at, snapshot_sequence, root_hash, bag_name, operator, witness, drives_json) VALUES ('2026-11-03T22:00:00Z', 7, 'h', 'b', 'olivia', NULL, '[]')`);
    insert.run();
    expect(() => insert.run()).toThrow(/already handed off/);
  });

  it('offers and accepts the hand-off for the newest snapshot only', async () => {
    await rig.enroll();
    rig.capture(2);
    await rig.snapshot();
    rig.capture(2);
    await rig.snapshot();
    expect((await rig.get('/snapshots/1/handoff')).status).toBe(409);
    const old = await handOff(1);
    expect(old.status).toBe(409);
    expect(((await old.json()) as Failure).error.code).toBe('handoff-not-newest');
    expect((await handOff(2)).status).toBe(200);
    // one audit entry for the hand-off (the refused try of #1 has its own)
    expect(auditCount('custody.recorded')).toBe(1);
    expect(auditCount('handoff.requested')).toBe(0);
    expect(auditCount('handoff.refused')).toBe(1);
    const record = rig.drives.custodyRecords(1)[0];
    expect(record?.snapshotSequence).toBe(2);
    expect(record?.drives.map((d) => d.role)).toEqual(['A', 'B']);
  });
});

describe('eject guards', () => {
  it('refuses to eject a drive that never had a snapshot', async () => {
    await rig.enroll();
    rig.capture(1);
    const res = await rig.post('/api/drives/A/eject', {});
    expect(res.status).toBe(409);
    const e = ((await res.json()) as Failure).error;
    expect(e.code).toBe('drive-never-written');
    expect(e.message).toContain('never had a snapshot');
  });

  it('refuses to eject with files not on the drive unless confirmed', async () => {
    await rig.enroll();
    rig.capture(2);
    await rig.snapshot();
    rig.capture(1);
    const res = await rig.post('/api/drives/A/eject', {});
    expect(res.status).toBe(409);
    const e = ((await res.json()) as Failure).error;
    expect(e.code).toBe('files-not-on-drive');
    expect(e.message).toContain('1 captured file');
    expect(e.action).toContain('confirm');
    expect(await (await rig.get('/drives')).text()).toContain('Eject drive A anyway');
    expect((await rig.post('/api/drives/A/eject', { confirm: 'yes' })).status).toBe(200);
  });
});

describe('audit', () => {
  it('writes one snapshot.requested entry for one snapshot started from the UI', async () => {
    await rig.enroll();
    rig.capture(1);
    await rig.snapshot();
    expect(auditCount('snapshot.requested')).toBe(1);
  });
});
