import { readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyFile } from './fileKind.ts';

const corpus = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');

describe('classifyFile', () => {
  it('classifies a real Dominion CVR export by name', () => {
    const kinds = new Map(readdirSync(resolve(corpus, 'dominion-alaska-2024-partial')).map((f) => [f, classifyFile(`cvr/${f}`)]));
    expect(kinds.get('CvrExport_1730.json')).toBe('cvr');
    expect(kinds.get('ContestManifest.json')).toBe('election-definition');
    expect(kinds.get('BallotTypeContestManifest.json')).toBe('election-definition');
    expect(kinds.get('Configuration.json')).toBe('other');
    expect([...kinds.values()].filter((k) => k === 'cvr').length).toBeGreaterThanOrEqual(4);
  });

  it('classifies real scans and the election definition of the NH corpus', () => {
    const files = readdirSync(resolve(corpus, 'nh-amherst-scans'));
    for (const f of files.filter((x) => x.endsWith('.jpeg'))) expect(classifyFile(`Tabulator1/${f}`)).toBe('ballot-image');
    expect(classifyFile('election.json')).toBe('election-definition');
  });

  it('uses extensions, then the root default', () => {
    expect(classifyFile('Batch1/0001.TIF')).toBe('ballot-image');
    expect(classifyFile('x/ballot.pdf')).toBe('ballot-image');
    expect(classifyFile('results.csv')).toBe('cvr');
    expect(classifyFile('cvr-precinct-12.xlsx')).toBe('cvr');
    expect(classifyFile('summary.xlsx')).toBe('other');
    expect(classifyFile('election-2026.EIF')).toBe('election-definition');
    expect(classifyFile('tabulator.log')).toBe('log');
    expect(classifyFile('checkins.csv', 'pollbook')).toBe('pollbook');
    expect(classifyFile('signatures.pdf', 'pollbook')).toBe('pollbook');
    expect(classifyFile('audit.txt', 'log')).toBe('log');
    expect(classifyFile('epollbook-export.zip')).toBe('pollbook');
    expect(classifyFile('notes.docx')).toBe('other');
    // ES&S: `<id>i.pdf` is the sheet's scan, `<id>c.pdf` a printout of its CVR (kept, never read as a ballot).
    expect(classifyFile('T Albion Wds 1-2/Nonpartisan/000123i.pdf')).toBe('ballot-image');
    expect(classifyFile('T Albion Wds 1-2/Nonpartisan/000123c.pdf')).toBe('other');
    expect(classifyFile('T Albion Wds 1-2/Nonpartisan/000123c.pdf', 'ballot-image')).toBe('other');
    expect(classifyFile('Pct 4/000123F.pbm')).toBe('ballot-image');
    // A vendor name beats the root's default.
    expect(classifyFile('CvrExport_9.json', 'log')).toBe('cvr');
  });
});
