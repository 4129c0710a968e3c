import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importLocalFile } from '../../daemon/importer/importFile.ts';
import { importTestDb, tempDir } from '../../daemon/importer/testSupport.ts';

/**
 * Issue #18: a Windows-1252 CSV whose first non-ASCII byte lies past the 64 KB sniffed at the
 * start was refused whole, with the position given as byte 0.
 */
function essCsv(rows: number, lastName: Buffer): Buffer {
  const lines = ['Cast Vote Record,Precinct,Ballot Style,Mayor'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},PRECINCT ${i % 40},STYLE 1,SMITH ${i % 3}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n${rows + 1},PRECINCT 1,STYLE 1,`, 'ascii'), lastName, Buffer.from('\r\n', 'ascii')]);
}

describe('text encoding over the whole file', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });
  function file(name: string, bytes: Buffer): string {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  }

  it('reads a Windows-1252 CSV whose first accented byte is past 64 KB (and past the first read chunk), and says where', async () => {
    const bytes = essCsv(60_000, Buffer.from([0x4a, 0x4f, 0x53, 0xc9])); // "JOSÉ" in Windows-1252
    expect(bytes.length).toBeGreaterThan(1 << 20);
    const position = bytes.length - 3;
    expect(bytes[position]).toBe(0xc9);
    const db = importTestDb();
    const r = await importLocalFile(db, file('cvr.csv', bytes));
    expect(r.ok ? r.value.records : r.error.message).toBe(60_001);
    expect(r.ok && r.value.warnings.join(' ')).toMatch(new RegExp(`windows-1252 .*position ${position}`));
    const name = db.prepare<[], { option_key: string }>(`SELECT option_key FROM cvr_votes WHERE option_key LIKE 'JOS%'`).get();
    expect(name?.option_key).toBe('JOSÉ');
  });

  it('refuses UTF-8 text with a broken byte far into the file, giving its true position', async () => {
    const good = Buffer.from('Cast Vote Record,Precinct,Ballot Style,Mayor\r\n1,P1,S1,JOSÉ\r\n', 'utf8');
    const rest = essCsv(20_000, Buffer.from([0x4a, 0xc9, 0x41])).subarray(Buffer.byteLength('Cast Vote Record,Precinct,Ballot Style,Mayor\r\n'));
    const bytes = Buffer.concat([good, rest]);
    const position = bytes.length - 4;
    expect(bytes[position]).toBe(0xc9);
    const db = importTestDb();
    const r = await importLocalFile(db, file('cvr.csv', bytes));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(new RegExp(`position ${position}\\b`));
  });
});
