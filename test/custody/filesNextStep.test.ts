/**
 * Issue #15: the "files not on both drives" line names the real next step, taken from the custody
 * state: with drive B unplugged it is "plug drive B back in", not only "press End-of-day".
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

const filesLine = async () => {
  const o = (await (await rig.get('/api/overview')).json()) as { verdict: { problems: { message: string; action: string }[] } };
  return o.verdict.problems.find((p) => /not on both drives yet/.test(p.message));
};

describe('files not on both drives: the next step', () => {
  it('with drive B unplugged says to plug it back in, then End-of-day; with B back, End-of-day', async () => {
    await rig.enroll();
    rig.capture(3);
    await rig.snapshot();
    rig.unplug('B');
    rig.capture(2);
    const line = await filesLine();
    expect(line?.action).toBe('Plug drive B back in, then press End-of-day snapshot so both drives get these files.');
    const page = await (await rig.get('/snapshot')).text();
    expect(page).toContain('Plug drive B back in, then press End-of-day snapshot so both drives get these files.');
    expect(page).not.toContain('Press End-of-day snapshot when the exports are done.');

    rig.plugIn('B');
    expect((await filesLine())?.action).toBe('Press End-of-day snapshot when the exports are done.');
    expect(await (await rig.get('/snapshot')).text()).toContain('Press End-of-day snapshot when the exports are done.');
  });
});
