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
    { role: 'A', driveId: 'd1', serial: '4C530001231116103383', uuid: '6BEA-F925', destination: "Clerk's office safe", ejected: true, poweredOff: true },
    { role: 'B', driveId: 'd2', serial: '408D5C1EB4D5E3A0B9C2E8F1', uuid: 'A1B2-C3D4', destination: 'Sheriff evidence safe', ejected: true, poweredOff: false },
  ],
};

describe('renderHandoffSheet', () => {
  const html = renderHandoffSheet(record, { electionTitle: 'Sample County General Election', applianceId: 'app-1' });

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
});
