/** Words for a clerk (issue #15): the audit log, alert links, pre-audit progress, ballot and style names. */
import { describe, expect, it } from 'vitest';
import { imageKeyInWords } from '../importer/imageKeys.ts';
import { BallotStyleName, ballotStyleName } from '../preaudit/styleWords.ts';
import { counted } from '../core/words.ts';
import { alertPage, worstSeverity } from './alertLinks.ts';
import { auditWords } from './auditSentences.ts';
import { preauditProgress } from './preauditProgress.ts';
import { stylesLearnedFrom } from './stylesLearnedFrom.ts';

const f = { time: (iso: string) => `at ${new Date(iso).getUTCHours()}h` };
const forbidden = [/\{"/, /\b[a-z]+\.[a-z-]+\b/, /\d{4}-\d\d-\d\dT\d\d/, /\/tmp\//, /\(s\)/, /undefined|NaN/];

function clean(s: string): void {
  for (const p of forbidden) expect(s, `${p} in "${s}"`).not.toMatch(p);
}

describe('the audit log in sentences', () => {
  const stored: [string, Record<string, unknown> | null][] = [
    ['web.login', { role: 'operator', address: '127.0.0.1' }],
    ['snapshot.requested', { reason: 'end-of-day', full: false, drives: [{ role: 'A', root: '/tmp/demo/drive-a' }, { role: 'B', root: '/tmp/demo/drive-b' }] }],
    ['snapshot.finished', { bagName: '000001-20261205T172253Z', rootHash: 'c35243eeb35ad3393ebcd2bf5b3f39ebe19c77ccdefe2cd1e91fa8a4bc17dc1f', perDrive: ['A:complete', 'B:failed'] }],
    ['drive.enrolled', { driveId: 'e48809bd', role: 'B', rotationSet: null, kind: 'folder', serial: null, fsUuid: null, folder: '/tmp/demo/drive-b', replaces: [] }],
    ['snapshot.refused', { reason: 'end-of-day', code: 'drive-missing' }],
    ['alert.resolved', { alertId: 3, alert: 'Drive B was not there.', why: 'Drive B is plugged in again.' }],
    ['daemon.started', { url: 'http://127.0.0.1:8080' }],
    ['web.logout', null],
    // An action this file does not know yet (another slice's): still words, no JSON, no dotted name.
    ['handoff.sheet-printed', { snapshot: 4, printedAt: '2026-12-05T17:22:53.000Z', folder: '/var/lib/ballotsafe/x', rootHash: 'c35243eeb35ad3393ebcd2bf5b3f39ebe19c77ccdefe2cd1e91fa8a4bc17dc1f', ok: true }],
  ];
  it('gives every stored action a title and a sentence without JSON, dotted names, ISO times or paths', () => {
    for (const [action, details] of stored) {
      const w = auditWords(action, details === null ? null : JSON.stringify(details), f);
      clean(`${w.title} ${w.sentence}`);
      expect(w.title.length).toBeGreaterThan(3);
    }
  });
  it('says what happened', () => {
    expect(auditWords('snapshot.finished', JSON.stringify(stored[2]?.[1]), f).sentence).toBe('Finished: drive A verified, drive B failed. Root hash c35243ee…bc17dc1f.');
    expect(auditWords('snapshot.requested', JSON.stringify(stored[1]?.[1]), f).sentence).toBe('Snapshot started at end of day onto 2 drives.');
    expect(auditWords('drive.enrolled', JSON.stringify(stored[3]?.[1]), f).sentence).toBe('Drive B enrolled (folder drive-b).');
    expect(auditWords('handoff.sheet-printed', JSON.stringify(stored[8]?.[1]), f)).toEqual({ title: 'Handoff sheet printed', sentence: 'snapshot 4; printed at at 17h; folder x; root hash c35243ee…bc17dc1f; ok yes.' });
  });
  it('survives a stored entry that is not JSON', () => {
    expect(auditWords('web.login', 'not json', f)).toEqual({ title: 'Logged in', sentence: 'Logged in as user.' });
  });
});

describe('alerts', () => {
  it('link to the page that fixes them', () => {
    expect(alertPage('snapshot-drive-failed').href).toBe('/drives');
    expect(alertPage('drive-return-verify-failed').href).toBe('/drives');
    expect(alertPage('vault-object-missing').href).toBe('/snapshot');
    expect(alertPage('preaudit-style-needs-mapping').href).toBe('/preaudit');
    expect(alertPage('import-failed').href).toBe('/preaudit');
    expect(alertPage('root-missing').href).toBe('/');
    expect(alertPage('something-new').href).toBe('/');
  });
  it('give the tab badge the worst open severity', () => {
    expect(worstSeverity([])).toBeNull();
    expect(worstSeverity([{ severity: 'info' }, { severity: 'warning' }])).toBe('warning');
    expect(worstSeverity([{ severity: 'warning' }, { severity: 'critical' }, { severity: 'info' }])).toBe('critical');
  });
});

describe('pre-audit progress', () => {
  const now = new Date('2026-11-03T20:00:00Z');
  it('counts set-aside and unreadable sheets as not read', () => {
    const v = preauditProgress({ state: 'done', imagesDone: 210, imagesTotal: 210, imagesSetAside: 46, imagesUnreadable: 2, ballotsCompared: 160, disagreements: 1, updatedAt: null }, now);
    expect(v.read).toBe(162);
    expect(v.total).toBe(210);
    expect(v.line).toBe('Done: 162 read, 46 set aside for a person to map, 2 could not be read, of 210 images; 160 ballots compared, 1 disagreement. Updated never.');
    expect(v.line).not.toContain('210 of 210');
  });
  it('says plainly when everything was read', () => {
    expect(preauditProgress({ state: 'running', imagesDone: 3, imagesTotal: 10, ballotsCompared: 0, disagreements: 0, updatedAt: null }, now).line).toMatch(/^Running: 3 read, of 10 images; 0 ballots compared, 0 disagreements\./);
  });
});

describe('names on a screen', () => {
  it('ballot keys in words', () => {
    expect(imageKeyInWords('d:10104_1_49')).toBe('tabulator 10104, batch 1, ballot 49');
    expect(imageKeyInWords('c:123')).toBe('CVR record 123');
  });
  it('ballot styles without "style style"', () => {
    expect(BallotStyleName('style 2 card 1')).toBe('Ballot style 2 card 1');
    expect(ballotStyleName('0101 0203')).toBe('ballot style 0101 0203');
    expect(ballotStyleName('ES&S ballot style 12, 70 ovals')).toBe('ES&S ballot style 12, 70 ovals');
    expect(BallotStyleName('ES&S ballot, 18 ovals')).toBe('ES&S ballot, 18 ovals');
  });
  it('how the styles were learned, true for the designs shown (#21)', () => {
    const ess = { recognisedBy: 'printed-ovals' as const };
    const coded = { recognisedBy: 'printed-code' as const };
    expect(stylesLearnedFrom([ess, ess])).toMatch(/^from where the ovals are printed on the ES&S sheets, not from a printed code, and the names beside the ovals/);
    expect(stylesLearnedFrom([coded])).toMatch(/^from the printed codes and the names beside the targets/);
    expect(stylesLearnedFrom([coded, ess])).toMatch(/^from where the ovals are printed \(ES&S styles\) or from the printed codes \(the others\), and the names beside the targets/);
  });
  it('counts without "(s)"', () => {
    expect(counted(1, 'snapshot')).toBe('1 snapshot');
    expect(counted(1200, 'file')).toBe('1,200 files');
  });
});
