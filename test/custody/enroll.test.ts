/**
 * Issue #15: a kiosk never needs a terminal. Enrolling from the Drives page goes through the real
 * drive service (folder drives here; the USB backend is the same service call), operators only,
 * with the service's one `drive.enrolled` audit entry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCustodyRig, type CustodyRig } from './rig.ts';

let rig: CustodyRig;
beforeEach(async () => {
  rig = await makeCustodyRig();
});
afterEach(() => {
  rig.cleanup();
});

const audit = (action: string) => rig.db.prepare('SELECT actor, details_json AS d FROM audit_log WHERE action = ?').all(action) as { actor: string; d: string }[];

describe('enrolling from the Drives page', () => {
  it('lists both unenrolled folder drives, enrolls them as A and B, and the overview stops saying "never set up"', async () => {
    rig.capture(1);
    const drives = await (await rig.get('/drives')).text();
    expect(drives).toContain('data-testid="enroll-drive"');
    expect(drives).not.toMatch(/ballotsafe enroll|At the appliance run/);
    const page = await (await rig.get('/drives/enroll')).text();
    expect(page.match(/data-testid="enroll-form"/g)).toHaveLength(2);
    expect(page).not.toContain('name="confirmErase"'); // folders cannot be erased
    const target = (role: 'A' | 'B') => (rig.config.drives.mode === 'folders' ? rig.config.drives[role === 'A' ? 'a' : 'b'] : '');
    // Erasing a folder drive is refused, and nothing is enrolled.
    const erase = await rig.post('/api/drives/enroll', { target: target('A'), role: 'A', confirmErase: 'ERASE' });
    expect(erase.status).toBe(400);
    expect(audit('drive.enrolled')).toEqual([]);
    expect((await rig.post('/api/drives/enroll', { target: target('A'), role: 'A' })).status).toBe(200);
    expect((await rig.post('/api/drives/enroll', { target: target('B'), role: 'B' })).status).toBe(200);
    expect(audit('drive.enrolled').map((e) => e.actor)).toEqual(['olivia', 'olivia']);
    const overview = (await (await rig.get('/api/overview')).json()) as { verdict: { problems: { message: string }[] } };
    expect(overview.verdict.problems.map((p) => p.message).join('\n')).not.toContain('never been set up');
    expect((await rig.get('/drives/enroll').then((r) => r.text()))).toContain('data-testid="no-unenrolled"');
    // Enrolled from the page, the drives take a snapshot like CLI-enrolled ones.
    expect((await rig.snapshot()).status).toBe(202);
    expect(rig.deps.snapshot.current().outcome?.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
  });

  it("refuses folder drive A enrolled as drive B (the service's own check), with a plain reason", async () => {
    const a = rig.config.drives.mode === 'folders' ? rig.config.drives.a : '';
    const res = await rig.post('/api/drives/enroll', { target: a, role: 'B' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('is configured as drive A, not B');
    expect(audit('drive.enroll.refused')).toHaveLength(1);
  });
});
