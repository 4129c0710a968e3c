import { describe, expect, it } from 'vitest';
import { mappingTemplateCsv, namesStyle, parseMappingFile, resolveMapping } from './mappingFile.ts';
import type { StyleMappingForm } from './webApi.ts';

const form: StyleMappingForm = {
  styleId: 'accuvote-1010-0101',
  printed: 'bottom-row code 1010 / bottom-row code 0101',
  reason: null,
  sheetsWaiting: 3,
  pages: [],
  targets: [
    { number: 1, side: 'front', column: 12, row: 8, box: null, text: null, current: { contestId: 'gov', optionId: 'bartlett' } },
    { number: 2, side: 'front', column: 19, row: 8, box: null, text: 'Hannah Dustn', current: null },
    { number: 3, side: 'front', column: 32, row: 8, box: null, text: 'yO Govemo', current: null },
    { number: 4, side: 'back', column: 12, row: 40, box: null, text: 'Constitutional', current: null },
  ],
  contests: [
    { id: 'gov', title: 'Governor', options: [{ id: 'bartlett', name: 'Josiah Bartlett' }, { id: 'dustin', name: 'Hannah Dustin' }, { id: 'write-in', name: 'a write-in line' }] },
    { id: 'deeds', title: 'Register of Deeds', options: [{ id: 'stileman', name: 'Ellen A. Stileman' }] },
  ],
};

const header = 'style,side,column,row,contest,option,text_read';

describe('mapping files', () => {
  it('reads a CSV by names, "write-in" and empty (not a target), and gives the pre-audit its assignments', () => {
    const text = [header, 'accuvote-1010-0101,front,12,8,Governor,Josiah Bartlett,', 'accuvote-1010-0101,Front,19,8,governor,HANNAH DUSTIN,x', 'accuvote-1010-0101,front,32,8,gov,write-in,', 'accuvote-1010-0101,back,12,40,,,Constitutional'].join('\n');
    const lines = parseMappingFile(text);
    expect(lines.ok).toBe(true);
    if (!lines.ok) return;
    expect(lines.value.every((l) => namesStyle(l, form))).toBe(true);
    const r = resolveMapping(lines.value, form);
    expect(r).toEqual({
      ok: true,
      value: [
        { side: 'front', column: 12, row: 8, choice: { contestId: 'gov', optionId: 'bartlett' } },
        { side: 'front', column: 19, row: 8, choice: { contestId: 'gov', optionId: 'dustin' } },
        { side: 'front', column: 32, row: 8, choice: { contestId: 'gov', optionId: 'write-in' } },
        { side: 'back', column: 12, row: 40, choice: null },
      ],
    });
  });

  it('reads the same mapping as JSON, and a style named by what the ballot prints', () => {
    const text = JSON.stringify({ styles: [{ style: 'Bottom-row code 1010 / bottom-row code 0101', targets: [{ side: 'front', column: 12, row: 8, contest: 'Governor', option: 'Josiah Bartlett' }, { side: 'back', column: 12, row: 40, contest: null, option: null }] }] });
    const lines = parseMappingFile(text);
    expect(lines.ok && lines.value.every((l) => namesStyle(l, form))).toBe(true);
    expect(lines.ok && namesStyle(lines.value[0]!, { styleId: 'other', printed: 'style 2 card 1' })).toBe(false);
  });

  it('names the line of each mistake, in plain words', () => {
    const bad = (rows: string[]) => {
      const r = parseMappingFile([header, ...rows].join('\n'));
      return r.ok ? 'ok' : r.error.message;
    };
    expect(bad(['s,front,12,8,Governor,Josiah Bartlett', 's,left,12,9,Governor,Josiah Bartlett'])).toBe('Line 3: the side must be "front" or "back", not "left".');
    expect(bad(['s,front,twelve,8,Governor,Josiah Bartlett'])).toMatch(/^Line 2: the column must be a whole number\.$/);
    expect(bad(['s,front,12,8,Governor,'])).toMatch(/^Line 2: give both a contest and an option/);
    expect(bad(['s,front,12,8,Governor,A', '# a comment line', 's,front,12,8,Governor,B'])).toMatch(/^Line 4: the front target at column 12, row 8 of this style was already given \(line 2\)\.$/);
    expect(bad([',front,12,8,Governor,A'])).toBe('Line 2: the style is empty.');
    // "#" starts a comment line only at the start: contest names carry it ("Question #1").
    const hash = parseMappingFile(`${header}\n# made by hand\ns,back,32,24,Constitutional Amendment Question #1,No,\n`);
    expect(hash.ok && hash.value[0]).toMatchObject({ where: 'Line 3', contest: 'Constitutional Amendment Question #1', option: 'No' });
    const noHeader = parseMappingFile('s,front,12,8,Governor,A\n');
    expect(noHeader.ok ? '' : noHeader.error.message).toMatch(/first line of the mapping file must name the columns/);
    const json = parseMappingFile('{"styles": [{"style": "s", "targets": [{"side": "front", "column": 1.5, "row": 2}]}]}');
    expect(json.ok ? '' : json.error.message).toBe('Style 1 (s), target 1: the column must be a whole number.');
    const broken = parseMappingFile('{"styles": [');
    expect(broken.ok ? '' : broken.error.message).toMatch(/^The mapping file is not valid JSON/);
  });

  it('a contest or option not in the election definition is refused with the names it has', () => {
    const resolve = (row: string) => {
      const lines = parseMappingFile(`${header}\n${row}\n`);
      if (!lines.ok) return lines.error.message;
      const r = resolveMapping(lines.value, form);
      return r.ok ? 'ok' : r.error.message;
    };
    expect(resolve('s,front,12,8,Govenor,Josiah Bartlett')).toMatch(/^Line 2: the election definition has no contest called "Govenor"/);
    expect(resolve('s,front,12,8,Register of Deeds,write-in')).toBe('Line 2: "Register of Deeds" has no option called "write-in". Its options are: Ellen A. Stileman.');
    expect(resolve('s,front,12,8,Governor,J. Bartlett')).toBe('Line 2: "Governor" has no option called "J. Bartlett". Its options are: Josiah Bartlett, Hannah Dustin, write-in.');
  });

  it('the template lists every target with the placement made, and reads back as that mapping', () => {
    const csv = mappingTemplateCsv([form]);
    expect(csv.split('\n')[0]).toBe(header);
    expect(csv).toContain('accuvote-1010-0101,front,12,8,Governor,Josiah Bartlett,\n');
    expect(csv).toContain('accuvote-1010-0101,front,32,8,,,yO Govemo\n');
    const lines = parseMappingFile(csv);
    expect(lines.ok && lines.value.length).toBe(4);
  });
});
