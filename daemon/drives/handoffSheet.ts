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
  /** The county and election, e.g. "Sample County General Election". */
  readonly electionTitle?: string;
  readonly applianceId?: string;
  /** How the recorded time is written: local date and time on the appliance (tests pass a fixed zone). */
  readonly timeZone?: string;
}

/** Local date and time for the sheet, e.g. "Tuesday, November 3, 2026 at 5:14 PM". */
function localTime(iso: string, timeZone: string | undefined): string {
  return new Date(iso).toLocaleString('en-US', { dateStyle: 'full', timeStyle: 'short', ...(timeZone === undefined ? {} : { timeZone }) });
}

/** One signature block: printed name (when known), then lines to fill in by hand. */
function signatureBlock(title: string, name: string | null, note: string): string {
  return `<div class="sig"><p class="sig-title">${esc(title)}</p><p class="sig-note">${esc(note)}</p>
  <div class="line"><span>Name</span><span class="fill">${name === null ? '' : esc(name)}</span></div>
  <div class="line"><span>Signature</span><span class="fill"></span></div>
  <div class="line"><span>Date and time</span><span class="fill"></span></div></div>`;
}

/**
 * A printable hand-off sheet (one A4/Letter page) that looks like an official record: the county
 * and election, the snapshot number, the root hash as text and QR code, the signing key id, each
 * drive's serial, seal number and destination, and name + signature + time lines for the one who
 * hands over, the witness and whoever receives each drive. Plain HTML with print CSS, no scripts.
 */
export function renderHandoffSheet(record: CustodyRecord, options: HandoffSheetOptions = {}): string {
  const title = options.electionTitle ?? 'Election';
  const rows = record.drives
    .map(
      (d) =>
        `<tr data-drive="${esc(d.role)}"><td class="role">${esc(d.role)}</td><td><code>${esc(d.serial ?? 'not recorded')}</code></td><td class="seal">${d.seal === undefined ? '<span class="blank">none recorded</span>' : `<strong>${esc(d.seal)}</strong>`}</td><td>${esc(d.destination)}</td><td>${d.ejected ? (d.poweredOff ? 'ejected, powered off' : 'ejected') : 'NOT ejected'}</td></tr>`,
    )
    .join('\n');
  const receivers = record.drives.map((d) => signatureBlock(`Received drive ${d.role}`, null, `Takes drive ${d.role}${d.seal === undefined ? '' : ` (seal ${d.seal})`} to: ${d.destination}`)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Chain-of-custody record ${record.id}: snapshot ${record.snapshotSequence}</title>
<style>
  @page { size: auto; margin: 12mm 14mm; }
  body { font: 10.5pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #000; max-width: 186mm; margin: 0 auto; }
  header.sheet-head { display: flex; justify-content: space-between; align-items: flex-end; border-bottom: 1.2mm double #000; padding-bottom: 2mm; margin-bottom: 3mm; }
  .county { font-size: 17pt; font-weight: bold; margin: 0; letter-spacing: 0.02em; }
  .doc { font-size: 12.5pt; margin: 1mm 0 0; text-transform: uppercase; letter-spacing: 0.08em; }
  .record-no { border: 0.5mm solid #000; padding: 1.5mm 3mm; text-align: center; font-size: 9pt; }
  .record-no strong { display: block; font-size: 16pt; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.6mm 6mm; margin: 0 0 3mm; }
  dt { font-weight: bold; }
  dd { margin: 0; }
  .hash { display: flex; gap: 6mm; align-items: center; border: 0.4mm solid #000; padding: 3mm; margin: 3mm 0; break-inside: avoid; }
  .hash code { font: 12pt/1.5 "DejaVu Sans Mono", monospace; word-spacing: 0.5em; }
  .hash p { margin: 1mm 0 0; font-size: 9pt; }
  .qr { width: 34mm; height: 34mm; flex: none; }
  table { border-collapse: collapse; width: 100%; margin: 3mm 0; }
  th, td { border: 0.3mm solid #000; padding: 1.6mm 2mm; text-align: left; vertical-align: top; }
  th { background: #e6e6e6; font-size: 9.5pt; }
  td.role { font-weight: bold; font-size: 15pt; text-align: center; width: 12mm; }
  td.seal strong { font-size: 12pt; }
  .blank { color: #555; font-style: italic; }
  .sigs { display: grid; grid-template-columns: 1fr 1fr; gap: 5mm 8mm; margin-top: 4mm; }
  .sig { border: 0.3mm solid #000; padding: 2mm 3mm; break-inside: avoid; }
  .sig-title { font-weight: bold; margin: 0; font-size: 11pt; }
  .sig-note { margin: 0 0 1mm; font-size: 9pt; }
  .line { display: flex; align-items: flex-end; gap: 2mm; margin-top: 4.5mm; font-size: 9pt; }
  .line .fill { flex: 1; border-bottom: 0.3mm solid #000; min-height: 5mm; font-size: 11pt; }
  footer { margin-top: 4mm; font-size: 8.5pt; color: #333; }
  @media screen { body { padding: 8mm; background: #fff; } }
</style>
</head>
<body>
<header class="sheet-head">
  <div>
    <p class="county" id="election-title">${esc(title)}</p>
    <p class="doc">Chain-of-custody record: hand-off of election data drives</p>
  </div>
  <div class="record-no">Record<strong>No. ${record.id}</strong></div>
</header>
<dl>
  <dt>Snapshot</dt><dd id="snapshot-number">#${record.snapshotSequence} (<code>${esc(record.bagName)}</code>)</dd>
  <dt>Recorded</dt><dd id="recorded-at">${esc(localTime(record.recordedAt, options.timeZone))}</dd>
  <dt>Signing key id</dt><dd><code id="signing-key">${record.signingKeyId === null ? 'not recorded' : esc(record.signingKeyId)}</code></dd>
  ${options.applianceId === undefined ? '' : `<dt>Appliance</dt><dd><code>${esc(options.applianceId)}</code></dd>`}
  <dt>Handed over by</dt><dd>${esc(record.operator)}</dd>
  <dt>Witness</dt><dd>${record.witness === null ? '<span class="blank">none recorded</span>' : esc(record.witness)}</dd>
</dl>
<div class="hash">
  ${qrSvg(record.rootHash, `Root hash of snapshot ${record.snapshotSequence}`)}
  <div>
    <strong>Root hash (SHA-256)</strong><br>
    <code id="root-hash">${esc(groupHash(record.rootHash))}</code>
    <p>Anyone can check a drive against this number: it is the SHA-256 of the snapshot's <code>tagmanifest-sha256.txt</code>, signed with the key above.</p>
  </div>
</div>
<table>
  <thead><tr><th>Drive</th><th>Serial number</th><th>Seal / evidence-bag no.</th><th>Goes to</th><th>State</th></tr></thead>
  <tbody>
${rows}
  </tbody>
</table>
<div class="sigs">
${signatureBlock('Handed over by', record.operator, 'Ejected and sealed the drives listed above.')}
${signatureBlock('Witness', record.witness, 'Saw the drives sealed and handed over.')}
${receivers}
</div>
<footer>Keep this sheet with the drives' custody papers. Each person signs only for what they saw or received.</footer>
</body>
</html>
`;
}
