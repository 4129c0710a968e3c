import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { groupHash, qrSvg, renderHandoffSheet } from './handoffSheet.ts';
import type { CustodyRecord } from './store.ts';

const rootHash = '3f7a9c0e5b2d4a6f8e1c3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f2a';
const record: CustodyRecord = {
  id: 12,
  recordedAt: '2026-11-03T22:14:05.120Z',
  snapshotSequence: 7,
  rootHash,
  bagName: '000007-20261103T220000Z',
  operator: 'Maria <Lopez> & co',
  witness: 'Joe Smith',
  drives: [
    { role: 'A', driveId: 'd1', serial: '4C530001231116103383', uuid: '6BEA-F925', destination: "Clerk's office safe", ejected: true, poweredOff: true, seal: 'EB-2026-0417' },
    { role: 'B', driveId: 'd2', serial: '408D5C1EB4D5E3A0B9C2E8F1', uuid: 'A1B2-C3D4', destination: 'Sheriff evidence safe', ejected: true, poweredOff: false },
  ],
  signingKeyId: 'D4E1F0A9B8C7E6F5',
};

describe('renderHandoffSheet', () => {
  const html = renderHandoffSheet(record, { electionTitle: 'Sample County General Election', applianceId: 'app-1', timeZone: 'America/Chicago' });

  it('shows the root hash as text, grouped for reading aloud, and the drives with serials and destinations', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(groupHash(rootHash));
    expect(groupHash(rootHash).replace(/ /g, '')).toBe(rootHash);
    expect(html).toContain('4C530001231116103383');
    expect(html).toContain('408D5C1EB4D5E3A0B9C2E8F1');
    expect(html).toContain('Clerk&#39;s office safe');
    expect(html).toContain('Sheriff evidence safe');
    expect(html).toContain('snapshot 7');
    expect(html).toContain('@page');
    expect(html).not.toContain('<script');
  });

  it('escapes operator-entered text', () => {
    expect(html).toContain('Maria &lt;Lopez&gt; &amp; co');
    expect(html).not.toContain('<Lopez>');
  });

  it('embeds a QR code of exactly the root hash as inline SVG', () => {
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toContain('viewBox');
    // Every dark module of the QR matrix for the hash is one unit square in the path, and only those.
    const qr = QRCode.create(rootHash, { errorCorrectionLevel: 'M' });
    const expected: string[] = [];
    for (let y = 0; y < qr.modules.size; y++) for (let x = 0; x < qr.modules.size; x++) if (qr.modules.get(y, x)) expected.push(`M${x + 4} ${y + 4}h1v1h-1z`);
    const path = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(path.match(/M\d+ \d+h1v1h-1z/g)).toEqual(expected);
    expect(qrSvg('other text', 't')).not.toBe(qrSvg(rootHash, 't'));
  });

  it('reads like an official record: county and election, local time, key id, seals, and name + signature + time lines', () => {
    expect(html).toContain('<p class="county" id="election-title">Sample County General Election</p>');
    expect(html).toContain('Chain-of-custody record');
    // 22:14 UTC on 3 November 2026 is 4:14 PM in Chicago; no raw ISO time on the sheet.
    expect(html).toContain('<dd id="recorded-at">Tuesday, November 3, 2026 at 4:14 PM</dd>');
    expect(html).not.toContain('2026-11-03T22:14');
    expect(html).toContain('<code id="signing-key">D4E1F0A9B8C7E6F5</code>');
    expect(html).toContain('<dd id="snapshot-number">#7');
    expect(/<tr data-drive="A">[\s\S]*?<\/tr>/.exec(html)?.[0]).toContain('EB-2026-0417');
    expect(/<tr data-drive="B">[\s\S]*?<\/tr>/.exec(html)?.[0]).toContain('none recorded');
    const blocks = html.match(/<div class="sig">[\s\S]*?<\/div><\/div>/g) ?? [];
    expect(blocks.map((b) => /<p class="sig-title">([^<]+)</.exec(b)?.[1])).toEqual(['Handed over by', 'Witness', 'Received drive A', 'Received drive B']);
    for (const b of blocks) for (const field of ['Name', 'Signature', 'Date and time']) expect(b).toContain(`<span>${field}</span>`);
    expect(blocks[0]).toContain('Maria &lt;Lopez&gt; &amp; co');
    expect(blocks[2]).toContain("Takes drive A (seal EB-2026-0417) to: Clerk&#39;s office safe");
  });

  it('says "not recorded" for a record from before the key id was kept, rather than leaving it blank', () => {
    expect(renderHandoffSheet({ ...record, signingKeyId: null })).toContain('<code id="signing-key">not recorded</code>');
  });
});
