/**
 * The hand-mapping form's parts (mapSteps.ts) and its pages (routes/mapStyle.tsx): targets cut
 * where a person reads a contest, the search narrowing through abbreviations, choices carried
 * from part to part in the form, the list of what will be saved, and a tampered form.
 */
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeMapped, makeRig, type TestRig } from '../../test/web/webTestFakes.ts';
import { auditWords } from './auditSentences.ts';
import { createWebApp } from './app.tsx';
import type { StyleMappingForm } from './deps.ts';
import { choiceInWords, choicesFromBody, cropFor, mappingParts, type MappingTarget, narrowContests } from './mapSteps.ts';

const target = (number: number, column: number, row: number, current: MappingTarget['current'] = null, side: 'front' | 'back' = 'front'): MappingTarget => ({
  number,
  side,
  column,
  row,
  box: { x: column * 50, y: row * 50, width: 36, height: 24 },
  text: current === null ? '' : null,
  current,
});

const contests: StyleMappingForm['contests'] = [
  { id: 'gov', title: 'Governor', options: [{ id: 'roe', name: 'Jane Roe' }, { id: 'doe', name: 'John Doe' }, { id: 'write-in', name: 'a write-in line' }] },
  { id: 'deeds', title: 'Register of Deeds', options: [{ id: 'ames', name: 'Pat Ames' }, { id: 'beck', name: 'Lou Beck' }] },
  { id: 'q1', title: 'Question 1: Library bond', options: [{ id: 'yes', name: 'Yes' }, { id: 'no', name: 'No' }] },
];

describe('mappingParts', () => {
  it('down a column (Dominion, sample election): a new part at a new column, a wide row gap, another contest; more than 8 targets in even parts', () => {
    const targets = [
      target(1, 10, 10), target(2, 10, 12), target(3, 10, 14), // a contest
      target(4, 10, 20), target(5, 10, 22), // a heading's rows between: the next contest
      target(6, 30, 10, { contestId: 'gov', optionId: 'roe' }), target(7, 30, 12, { contestId: 'deeds', optionId: 'ames' }), // placed in two contests
      ...Array.from({ length: 10 }, (_, i) => target(8 + i, 50, 10 + i)), // 10 close rows
      target(18, 10, 10, null, 'back'),
    ];
    expect(mappingParts(targets).map((p) => p.targets.map((t) => t.number))).toEqual([[1, 2, 3], [4, 5], [6], [7], [8, 9, 10, 11, 12], [13, 14, 15, 16, 17], [18]]);
    expect(mappingParts(targets).at(-1)?.side).toBe('back');
  });

  it('down a column on ES&S (a name and a party line per option, on a finer grid): a contest\'s ovals four rows apart are one part', () => {
    const targets = [
      target(1, 4, 20), target(2, 4, 24), target(3, 4, 28), target(4, 4, 32), target(5, 4, 36), target(6, 4, 40), // candidates and write-in lines
      target(7, 4, 60), target(8, 4, 64), // a question's header between: the next part
      target(9, 26, 32), target(10, 26, 36),
    ];
    expect(mappingParts(targets).map((p) => p.targets.map((t) => t.number))).toEqual([[1, 2, 3, 4, 5, 6], [7, 8], [9, 10]]);
    // six names and three write-in lines: two even parts, no write-in line left alone
    const nine = Array.from({ length: 9 }, (_, i) => target(i + 1, 26, 20 + 4 * i));
    expect(mappingParts(nine).map((p) => p.targets.length)).toEqual([5, 4]);
    expect(mappingParts(Array.from({ length: 17 }, (_, i) => target(i + 1, 26, 20 + 4 * i))).map((p) => p.targets.length)).toEqual([6, 6, 5]);
  });

  it('across the page (AccuVote): one office row band is one part, whatever the columns', () => {
    const targets = [target(1, 12, 8), target(2, 19, 8), target(3, 26, 8), target(4, 33, 8), target(5, 12, 12), target(6, 19, 12), target(7, 12, 20), target(8, 19, 21), target(9, 26, 22)];
    expect(mappingParts(targets, true).map((p) => p.targets.map((t) => t.number))).toEqual([[1, 2, 3, 4], [5, 6], [7, 8, 9]]);
    // read down the columns instead, the same targets would mix offices
    expect(mappingParts(targets, false).length).toBeGreaterThan(3);
  });
});

describe('narrowContests', () => {
  const names = (cs: StyleMappingForm['contests']) => cs.map((c) => `${c.id}:${c.options.map((o) => o.id).join(',')}`);
  it('finds words by their start, through punctuation and case: "reg. deeds" is the Register of Deeds with all its options', () => {
    expect(names(narrowContests(contests, 'reg. deeds'))).toEqual(['deeds:ames,beck']);
    expect(names(narrowContests(contests, 'GOV'))).toEqual(['gov:roe,doe,write-in']);
  });
  it('a name keeps only the options that hold it; every word must be found', () => {
    expect(names(narrowContests(contests, 'roe'))).toEqual(['gov:roe']);
    expect(names(narrowContests(contests, 'governor write'))).toEqual(['gov:write-in']);
    expect(names(narrowContests(contests, 'roe ames'))).toEqual([]);
    expect(names(narrowContests(contests, 'oe'))).toEqual([]); // not inside a word
  });
  it('an empty search lists everything, the contests already chosen in the part first', () => {
    expect(names(narrowContests(contests, '  ', new Set(['q1'])))).toEqual(['q1:yes,no', 'gov:roe,doe,write-in', 'deeds:ames,beck']);
  });
});

describe('choices and crops', () => {
  const form = { targets: [target(1, 10, 10), target(2, 10, 12)], contests } as unknown as StyleMappingForm;
  it('keeps only this style\'s targets and offered values; anything else is left unchosen', () => {
    const got = choicesFromBody(form, { 't.front.10.10': 'gov|roe', 't.front.10.12': 'gov|nobody', 't.front.99.99': 'gov|doe', _csrf: 'x' });
    expect([...got.entries()]).toEqual([
      ['t.front.10.10', 'gov|roe'],
      ['t.front.10.12', ''],
    ]);
    expect(choiceInWords(contests, 'gov|roe')).toBe('Governor: Jane Roe');
    expect(choiceInWords(contests, 'none')).toBe('Not a voting target');
    expect(choiceInWords(contests, 'gov|nobody')).toBeNull();
  });
  it('crops around the part with the names to its left, inside the page, never a sliver', () => {
    const page = { width: 1700, height: 2200 };
    const crop = cropFor(page, [target(1, 10, 10), target(2, 10, 12)]);
    expect(crop.x).toBeLessThan(500 - 400); // room for the names printed left of the targets
    expect(crop.x + crop.width).toBeGreaterThanOrEqual(536);
    expect(crop.y).toBeLessThanOrEqual(500);
    expect(crop.y + crop.height).toBeGreaterThanOrEqual(624);
    expect(crop.height).toBeGreaterThanOrEqual(crop.width * 0.4 - 1);
    expect(crop.x >= 0 && crop.y >= 0 && crop.x + crop.width <= page.width && crop.y + crop.height <= page.height).toBe(true);
    expect(crop.width * crop.height).toBeLessThan(page.width * page.height * 0.25);
    // one office across the whole page: some rows above and below, not a sliver
    const band = cropFor(page, [target(1, 2, 20), target(2, 32, 20)]);
    expect(band.width).toBe(1700);
    expect(band.height).toBeGreaterThanOrEqual(1700 * 0.4 - 1);
    expect(band.y).toBeLessThan(1000 - 200);
    const edge = cropFor(page, [{ ...target(1, 0, 0), box: { x: 1650, y: 2180, width: 40, height: 18 } }]);
    expect(edge.x + edge.width <= page.width && edge.y + edge.height <= page.height).toBe(true);
    expect(cropFor(page, [{ ...target(1, 0, 0), box: null }])).toEqual({ x: 0, y: 0, ...page });
  });
  it('on ES&S crops right of the ovals, where the names are printed, and high enough for a question\'s text', () => {
    const page = { width: 1700, height: 2200 };
    const ovals = [target(1, 10, 10), target(2, 10, 12)]; // boxes x 500–536, y 500–624
    const crop = cropFor(page, ovals, true);
    expect(crop.x + crop.width).toBeGreaterThan(536 + 450); // a column of names
    expect(500 - crop.x).toBeLessThan(100); // not the column to the left
    expect(crop.y).toBeLessThan(500 - 300); // a question's header and text above its answers
    expect(crop.x >= 0 && crop.y >= 0 && crop.x + crop.width <= page.width && crop.y + crop.height <= page.height).toBe(true);
    const left = cropFor(page, ovals);
    expect(crop.x + crop.width).toBeGreaterThan(left.x + left.width + 300);
  });
});

type App = Hono<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-local

describe('the mapping pages', () => {
  let rig: TestRig;
  let app: App;
  let login: { cookie: string; csrf: string };
  // Two offices across a NH front: 7 targets, two parts.
  const form = (imageId: number): StyleMappingForm => ({
    styleId: 'accuvote-0111-1011',
    printed: 'bottom-row codes 0111 / 1011',
    reason: 'no name could be read',
    sheetsWaiting: 12,
    contestsAcross: true,
    pages: [{ side: 'front', imageId, imagePage: 0, width: 1700, height: 2200 }],
    targets: [target(1, 12, 8), target(2, 19, 8), target(3, 32, 8), target(4, 12, 12), target(5, 19, 12), target(6, 26, 12), target(7, 32, 12)],
    contests,
  });
  const post = (fields: Record<string, string>) =>
    app.request('/preaudit/styles/accuvote-0111-1011/map', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: login.cookie, origin: 'http://localhost' },
      body: new URLSearchParams({ _csrf: login.csrf, ...fields }).toString(),
    });
  const hidden = (html: string) => [...html.matchAll(/<input type="hidden" name="(t\.[^"]+)" value="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`);

  beforeEach(async () => {
    rig = await makeRig();
    const imageId = rig.imageId;
    const preaudit = rig.deps.preaudit;
    if (preaudit === undefined) throw new Error('the rig has no pre-audit');
    app = createWebApp({ ...rig.deps, preaudit: { ...preaudit, styleMapping: (id) => (id === 'accuvote-0111-1011' ? form(imageId) : undefined), mapStyle: preaudit.mapStyle } });
    const user = rig.deps.accounts.findUser('olivia');
    if (user === undefined) throw new Error('no olivia');
    const { token, session } = rig.deps.accounts.createSession(user);
    login = { cookie: `bs_session=${token}`, csrf: session.csrfToken };
  });
  afterEach(() => rig.cleanup());

  it('shows the first part, and carries its choices to the next one as the form\'s own fields', async () => {
    const first = await (await app.request('/preaudit/styles/accuvote-0111-1011/map', { headers: { cookie: login.cookie } })).text();
    expect(first).toContain('Part 1 of 2');
    expect(first.match(/<select /g)).toHaveLength(3);
    const second = await (await post({ part: '0', go: 'next', 't.front.12.8': 'gov|roe', 't.front.19.8': 'gov|doe', 't.front.32.8': 'gov|write-in' })).text();
    expect(second).toContain('Part 2 of 2');
    expect(second).toContain('3 of 7 targets chosen');
    expect(second.match(/<select /g)).toHaveLength(4);
    expect(hidden(second)).toEqual(['t.front.12.8=gov|roe', 't.front.19.8=gov|doe', 't.front.32.8=gov|write-in']);
    // back again: the part's own choices are selected, not hidden
    const back = await (await post({ part: '1', go: 'back', 't.front.12.8': 'gov|roe', 't.front.19.8': 'gov|doe', 't.front.32.8': 'gov|write-in', 't.front.26.12': 'deeds|ames' })).text();
    expect(back).toContain('Part 1 of 2');
    expect(hidden(back)).toEqual(['t.front.26.12=deeds|ames']);
    expect(back).toContain('<option value="gov|doe" selected="">Governor: John Doe</option>');
  });

  it('narrows every list of the part to what the search finds, keeping a choice already made', async () => {
    const html = await (await post({ part: '1', go: 'filter', q: 'reg deeds', 't.front.12.12': 'gov|roe' })).text();
    expect(html).toContain('The lists show only the choices matching “reg deeds”.');
    const first = html.slice(html.indexOf('<select'), html.indexOf('</select>'));
    expect([...first.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual(['', 'none', 'gov|roe', 'deeds|ames', 'deeds|beck']);
    const second = html.slice(html.indexOf('<select', html.indexOf('</select>')));
    expect(second).not.toContain('gov|roe');
  });

  it('lists what will be saved; saves only when every target has a choice; a tampered value is not taken', async () => {
    const all = { 't.front.12.8': 'gov|roe', 't.front.19.8': 'gov|doe', 't.front.32.8': 'gov|write-in', 't.front.12.12': 'deeds|ames', 't.front.19.12': 'deeds|beck', 't.front.26.12': 'none', 't.front.32.12': 'none' };
    const review = await (await post({ go: 'review', ...all })).text();
    expect(review).toContain('7 targets: 5 choices in 2 contests, 2 targets that are not for voting.');
    expect(review).toContain('<td>Register of Deeds: Lou Beck</td>');
    expect(review).toContain('data-testid="save-mapping"');
    expect(review).toContain('formaction="/api/preaudit/styles/accuvote-0111-1011/mapping"');
    expect(hidden(review)).toHaveLength(7);
    const tampered = await (await post({ go: 'review', ...all, 't.front.19.12': 'deeds|mallory' })).text();
    expect(tampered).toContain('1 target still has no choice, so this mapping cannot be saved yet.');
    expect(tampered).toContain('<td>Not chosen yet</td>');
    expect(tampered).not.toContain('data-testid="save-mapping"');
    expect(hidden(tampered)).toHaveLength(6);
    expect(fakeMapped).toEqual([]); // nothing saved by looking
  });

  it('refuses a style that is not waiting', async () => {
    const res = await app.request('/preaudit/styles/accuvote-9999/map', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: login.cookie, origin: 'http://localhost' }, body: new URLSearchParams({ _csrf: login.csrf, go: 'review' }).toString() });
    expect(res.status).toBe(404);
  });
});

describe('the audit log in words', () => {
  const f = { time: (iso: string) => iso.slice(11, 16) };
  it('says who mapped which style, and why a mapping was not saved', () => {
    expect(auditWords('preaudit.style.mapped', JSON.stringify({ style: 'style-1/card-1', printed: 'style 1 card 1', ok: true, targets: 44, sheetsToRead: 6 }), f).sentence).toBe(
      'Mapped ballot style 1 card 1 by hand: 44 voting targets; 6 sheets of it to read and compare.',
    );
    expect(auditWords('preaudit.style.mapped', JSON.stringify({ style: 'x', printed: 'bottom-row codes 0111 / 1011', ok: false, code: 'preaudit-mapping-incomplete' }), f).sentence).toBe(
      'Tried to map ballot style bottom-row codes 0111 / 1011 by hand; it was not saved: some targets had no choice.',
    );
  });
});
