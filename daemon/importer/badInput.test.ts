import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDominionCvrExport, parseDominionManifest } from './dominion.ts';
import { parseEif } from './eif.ts';
import { importLocalFile } from './importFile.ts';
import { streamJsonArray } from './jsonStream.ts';
import { dominionCorpus, importTestDb, tempDir, writeXlsx } from './testSupport.ts';

/** A minimal zip writer (stored names, deflate) so tests can build hostile archives by hand. */
function zipOf(entries: { name: string; data: Buffer; declaredSize?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += 30 + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

describe('bad input gives error values that name the file, place and expectation', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('malformed Dominion JSON', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const good = readFileSync(join(dominionCorpus, 'CvrExport_1731.json'), 'utf8');
    const cases: [string, string, RegExp][] = [
      ['truncated', good.slice(0, Math.floor(good.length / 2)), /truncated at Sessions\[1\]: expected the rest of the JSON \(the file ends too early/],
      ['missing-comma', good.replace('},{"TabulatorId"', '} {"TabulatorId"'), /missing-comma at Sessions\[1\] \(byte \d+\): expected "," or "\]" between elements, found "\{"/],
      ['trailing', `${good}xyz`, /trailing at byte \d+: expected nothing after the closing "\}", found "x"/],
      ['array', `[${good}]`, /array at byte 0: expected a JSON object starting with "\{", found "\["/],
      ['no-sessions', '{"Version":"5.17","ElectionId":"x"}', /no-sessions at top level: expected a "Sessions" list/],
      ['bad-element', good.replace('"RecordId":2', '"RecordId":2,}'), /bad-element at Sessions\[0\] \(byte \d+\): expected valid JSON, found/],
      ['wrong-type', good.replace('"TabulatorId":92302', '"TabulatorId":"T1"'), /wrong-type at Sessions\[0\]\.TabulatorId: expected TabulatorId to be number, found "T1"/],
      ['no-cards', good.replace(/"Cards":\[.*?\]\}\]\}\}/, '"X":1}}'), /no-cards at Sessions\[0\]\.Original: expected a "Cards" or "Contests" list/],
      ['empty', '', /empty: expected a JSON object, found an empty file/],
      ['binary', '\u0000\u0000\u0000\u0001\u0002', /binary at byte 0: expected a JSON text file, found binary data/],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(join(dir, name), content);
      const r = await parseDominionCvrExport(join(dir, name), name, { record: () => undefined });
      expect(r.ok, name).toBe(false);
      if (!r.ok) {
        expect(r.error.message, name).toMatch(message);
        expect(r.error.action, name).toMatch(/Re-export/);
      }
    }
  });

  it('reads Dominion files with a UTF-8 BOM or in UTF-16', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const good = readFileSync(join(dominionCorpus, 'CvrExport_1731.json'), 'utf8');
    writeFileSync(join(dir, 'bom.json'), `\ufeff${good}`);
    writeFileSync(join(dir, 'u16.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')]));
    writeFileSync(join(dir, 'u16be.json'), Buffer.from(good, 'utf16le').swap16());
    for (const name of ['bom.json', 'u16.json', 'u16be.json']) {
      let n = 0;
      const r = await parseDominionCvrExport(join(dir, name), name, { record: () => void n++ });
      expect(r.ok, `${name} ${JSON.stringify(r)}`).toBe(true);
      expect(n, name).toBe(3);
    }
    const manifest = readFileSync(join(dominionCorpus, 'ContestManifest.json'), 'utf8');
    writeFileSync(join(dir, 'ContestManifest.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(manifest, 'utf16le')]));
    const m = await parseDominionManifest(join(dir, 'ContestManifest.json'), 'ContestManifest.json', 'ContestManifest');
    expect(m.ok && m.value.contests.length).toBeGreaterThan(10);
    expect(m.ok && m.value.warnings.join()).toMatch(/utf-16le/);
  });

  it('rejects an xlsx zip bomb before exceljs inflates it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // 1. High compression ratio: 40 MB of zeros packs to ~40 KB (1000:1).
    writeFileSync(join(dir, 'ratio.xlsx'), zipOf([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(40 * 1024 * 1024) }]));
    const a = await parseEif(join(dir, 'ratio.xlsx'), 'ratio.xlsx', 'xlsx');
    expect(!a.ok && a.error.message).toMatch(/ratio\.xlsx: expected a compression ratio under 200:1 \(zip bomb protection\), found "xl\/worksheets\/sheet1\.xml" at \d+:1/);
    // 2. A part that lies about its size in the central directory.
    writeFileSync(join(dir, 'liar.xlsx'), zipOf([{ name: 'xl/workbook.xml', data: Buffer.alloc(300_000, 0x41), declaredSize: 100 }]));
    const b = await parseEif(join(dir, 'liar.xlsx'), 'liar.xlsx', 'xlsx');
    expect(!b.ok && b.error.message).toMatch(/liar\.xlsx: expected part "xl\/workbook\.xml" to inflate to its declared 100 bytes/);
    // 3. Not a zip at all, and a truncated real workbook.
    writeFileSync(join(dir, 'text.xlsx'), 'Official_Contest_Name,Vote_for\n');
    const c = await parseEif(join(dir, 'text.xlsx'), 'text.xlsx', 'xlsx');
    expect(!c.ok && c.error.message).toBe('text.xlsx: expected an Excel .xlsx file (a zip archive), found other data.');
    await writeXlsx(join(dir, 'real.xlsx'), [['Official_Contest_Name', 'Vote_for']]);
    const real = readFileSync(join(dir, 'real.xlsx'));
    writeFileSync(join(dir, 'cut.xlsx'), real.subarray(0, real.length - 200));
    const d = await parseEif(join(dir, 'cut.xlsx'), 'cut.xlsx', 'xlsx');
    expect(!d.ok && d.error.message).toMatch(/cut\.xlsx: expected a readable \.xlsx \(zip\) file/);
  });

  it('streams a large CVR export in bounded memory', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'CvrExport_big.json');
    const out = createWriteStream(path);
    const session = (i: number) =>
      JSON.stringify({
        TabulatorId: 1 + (i % 7), BatchId: 1 + Math.floor(i / 500), RecordId: i, CountingGroupId: 1, ImageMask: `x\\00001_00001_${i}*.*`, SessionType: 'ScannedVote',
        Original: { PrecinctPortionId: 1, BallotTypeId: 1, IsCurrent: true, Cards: [{ Id: 1, Contests: [{ Id: 1, Marks: [{ CandidateId: 1 + (i % 3), Rank: 1, MarkDensity: 90, IsAmbiguous: false, IsVote: true }] }] }] },
      });
    const count = 120_000;
    out.write('{"Version":"5.17.18.1","ElectionId":"Big","Sessions":[');
    for (let i = 0; i < count; i += 1000) {
      const chunk = Array.from({ length: 1000 }, (_, k) => session(i + k)).join(',');
      if (!out.write(`${i === 0 ? '' : ','}${chunk}`)) await once(out, 'drain');
    }
    out.end(']}');
    await once(out, 'finish');
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let n = 0;
    const r = await parseDominionCvrExport(path, 'CvrExport_big.json', {
      record: () => {
        n++;
        if (n % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      },
    });
    expect(r.ok).toBe(true);
    expect(n).toBe(count);
    // The file is ~40 MB; streaming keeps growth far below the file size times JS object overhead.
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  });

  it('stops at an element larger than the limit instead of buffering it', async () => {
    async function* source() {
      yield Buffer.from('{"Sessions":[{"a":"');
      for (let i = 0; i < 100; i++) yield Buffer.alloc(65536, 0x61);
      yield Buffer.from('"}]}');
    }
    const r = await streamJsonArray(source(), { file: 'huge.json', arrayKey: 'Sessions', onElement: () => undefined, maxElementBytes: 1024 * 1024 });
    expect(!r.ok && r.error.message).toBe('huge.json at Sessions[0] (byte 13): expected a value smaller than 1 MB.');
  });

  it('a bad later version of a file keeps the data imported before; the failure is recorded once', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = importTestDb();
    const path = join(dir, 'eif.xlsx');
    await writeXlsx(path, [
      ['Official_Contest_Name', 'Vote_for', 'Official_Options', 'CVR_Contest_Name', 'CVR_Options'],
      ['Mayor', 1, 'A', 'Mayor', 'A'],
    ]);
    expect((await importLocalFile(db, path)).ok).toBe(true);
    writeFileSync(path, zipOf([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(40 * 1024 * 1024) }]));
    const bad = await importLocalFile(db, path);
    expect(bad.ok).toBe(false);
    const again = await importLocalFile(db, path); // idempotent: same bytes, same answer, no new row
    expect(again).toEqual(bad);
    expect(db.prepare(`SELECT state, count(*) AS n FROM import_sources GROUP BY state ORDER BY state`).all()).toEqual([
      { state: 'active', n: 1 },
      { state: 'failed', n: 1 },
    ]);
    expect(db.prepare(`SELECT e.official_contest FROM eif_rows e JOIN import_sources s ON s.id = e.source_id WHERE s.state = 'active'`).all()).toEqual([{ official_contest: 'Mayor' }]);
  });
});
