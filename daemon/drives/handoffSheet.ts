import QRCode from 'qrcode';
import type { CustodyRecord } from './store.ts';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The QR code as inline SVG (one path, crisp at any print size), built synchronously from qrcode's matrix. */
export function qrSvg(text: string, title: string): string {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  let d = '';
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (qr.modules.get(y, x)) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    }
  }
  const full = size + 2 * quiet;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${full} ${full}" shape-rendering="crispEdges" role="img" aria-label="${esc(title)}" class="qr">` +
    `<title>${esc(title)}</title><rect width="${full}" height="${full}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`
  );
}

/** Groups a hex digest in fours so two people can read it aloud and compare. */
export function groupHash(hex: string): string {
  return (hex.match(/.{1,4}/g) ?? []).join(' ');
}

export interface HandoffSheetOptions {
  readonly electionTitle?: string;
  readonly applianceId?: string;
}

/**
 * A printable hand-off sheet (one A4/Letter page): the root hash as text and QR code, the
 * drives with serials and destinations, and signature lines. Plain HTML with print CSS, no scripts.
 */
export function renderHandoffSheet(record: CustodyRecord, options: HandoffSheetOptions = {}): string {
  const title = options.electionTitle ?? 'Election';
  const rows = record.drives
    .map(
      (d) => `<tr><td class="role">${esc(d.role)}</td><td><code>${esc(d.serial ?? '—')}</code></td><td><code>${esc(d.uuid ?? '—')}</code></td><td>${esc(d.destination)}</td><td>${d.ejected ? (d.poweredOff ? 'ejected, powered off' : 'ejected') : 'NOT ejected'}</td><td class="sign"></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hand-off sheet — snapshot ${record.snapshotSequence}</title>
<style>
  @page { size: auto; margin: 15mm; }
  body { font: 11pt/1.4 system-ui, sans-serif; color: #000; max-width: 190mm; margin: 0 auto; }
  h1 { font-size: 16pt; margin: 0 0 2mm; }
  .sub { color: #333; margin: 0 0 6mm; }
  .hash { display: flex; gap: 8mm; align-items: center; border: 0.4mm solid #000; padding: 4mm; margin: 4mm 0; break-inside: avoid; }
  .hash code { font: 13pt/1.6 ui-monospace, monospace; word-spacing: 0.6em; }
  .qr { width: 42mm; height: 42mm; flex: none; }
  table { border-collapse: collapse; width: 100%; margin: 4mm 0; }
  th, td { border: 0.3mm solid #000; padding: 2mm; text-align: left; vertical-align: top; }
  td.role { font-weight: bold; font-size: 14pt; text-align: center; }
  td.sign { width: 35mm; }
  .sigs { display: grid; grid-template-columns: 1fr 1fr; gap: 10mm; margin-top: 12mm; }
  .sigs div { border-top: 0.3mm solid #000; padding-top: 1mm; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 1mm 6mm; margin: 0; }
  dt { font-weight: bold; }
</style>
</head>
<body>
<h1>Chain-of-custody hand-off: snapshot ${record.snapshotSequence}</h1>
<p class="sub">${esc(title)}${options.applianceId === undefined ? '' : ` · appliance ${esc(options.applianceId)}`}</p>
<dl>
  <dt>Custody record</dt><dd>#${record.id}</dd>
  <dt>Snapshot</dt><dd>${record.snapshotSequence} (<code>${esc(record.bagName)}</code>)</dd>
  <dt>Recorded at</dt><dd>${esc(record.recordedAt)}</dd>
  <dt>Operator</dt><dd>${esc(record.operator)}</dd>
  ${record.witness === null ? '' : `<dt>Witness</dt><dd>${esc(record.witness)}</dd>`}
</dl>
<div class="hash">
  ${qrSvg(record.rootHash, `Root hash of snapshot ${record.snapshotSequence}`)}
  <div>
    <strong>Root hash (SHA-256)</strong><br>
    <code id="root-hash">${esc(groupHash(record.rootHash))}</code>
    <p>Anyone can check a drive against this number: it is the SHA-256 of the snapshot's <code>tagmanifest-sha256.txt</code>.</p>
  </div>
</div>
<table>
  <thead><tr><th>Drive</th><th>Serial</th><th>File-system id</th><th>Destination</th><th>State</th><th>Received by (signature)</th></tr></thead>
  <tbody>
${rows}
  </tbody>
</table>
<div class="sigs">
  <div>Handed over by (name, signature, time)</div>
  <div>Witness (name, signature, time)</div>
</div>
</body>
</html>
`;
}
