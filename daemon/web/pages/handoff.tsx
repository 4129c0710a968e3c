import type { FC } from 'hono/jsx';
import type { HandoffSheet } from '../deps.ts';
import { formatBytes, formatCount, formatTime, groupedHash } from '../format.ts';
import { Document } from './layout.tsx';

/** The printable hand-off sheet: one page, black on white, with lines to sign for each drive. */
export const HandoffPage: FC<{ sheet: HandoffSheet; qrSvg: string; now: Date }> = ({ sheet, qrSvg, now }) => (
  <Document title={`Hand-off sheet #${sheet.sequence}`} bodyClass="sheet">
    <div class="sheet-tools no-print">
      <a class="button secondary" href="/snapshots">
        Back
      </a>
      <button type="button" class="button primary" data-print>
        Print
      </button>
    </div>
    <article class="sheet-page">
      <header class="sheet-head">
        <div>
          <h1>Drive hand-off sheet</h1>
          <p class="sheet-election">{sheet.electionTitle}</p>
          <p>
            Snapshot #{sheet.sequence} · {sheet.bagName} · finished {formatTime(sheet.finishedAt, now)}
          </p>
          <p>
            {formatCount(sheet.files)} files · {formatBytes(sheet.bytes)}
          </p>
        </div>
        <div class="qr" dangerouslySetInnerHTML={{ __html: qrSvg }} />
      </header>
      <section>
        <h2>Root hash (SHA-256 of the tag manifest)</h2>
        <p class="sheet-hash" data-testid="root-hash">
          {groupedHash(sheet.rootHash)}
        </p>
        {sheet.previousRootHash === null ? <p>First snapshot of this election (no previous root hash).</p> : <p class="small">Chained to previous root hash: {groupedHash(sheet.previousRootHash)}</p>}
        {sheet.signingKey === null ? null : <p class="small">Signed with key: {sheet.signingKey}</p>}
      </section>
      <section>
        <h2>Drives</h2>
        <table class="sheet-table">
          <thead>
            <tr>
              <th>Drive</th>
              <th>Serial / label</th>
              <th>Verified</th>
              <th>Seal number</th>
              <th>Handed over by (print, sign)</th>
              <th>Received by (print, sign)</th>
              <th>Date, time</th>
            </tr>
          </thead>
          <tbody>
            {sheet.drives.map((d) => (
              <tr>
                <td>{d.role}</td>
                <td>{[d.serial, d.label].filter((x) => x !== null).join(' / ') || '–'}</td>
                <td>{formatTime(d.verifiedAt, now)}</td>
                <td></td>
                <td></td>
                <td></td>
                <td></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>How to check a drive without this appliance</h2>
        <ol class="small">
          {sheet.verifyInstructions.map((line) => (
            <li>
              <code>{line}</code>
            </li>
          ))}
        </ol>
        <p class="small">The root hash printed above must match the SHA-256 of tagmanifest-sha256.txt on each drive.</p>
      </section>
    </article>
  </Document>
);
