import type { VerifyReport } from './verify.ts';
import { formatBytes } from '../core/format.ts';
import { counted } from '../core/words.ts';

/** The report for people: the drive's key id first, then what was pinned, root hashes, problems, verdict. */
export function formatReport(report: VerifyReport, shown: string): string {
  const lines: string[] = [];
  for (const k of report.driveKeys) lines.push(`key id     ${k.keyId ?? 'none (no usable public key on the drive)'}  (${k.path})`);
  if (report.driveKeys.length === 0) lines.push('key id     none (no public key found)');
  if (report.pins.keyId !== null) {
    lines.push(
      report.pins.byKeyIdOnly
        ? `expected   key id ${report.pins.keyId} (a key id alone can be copied into a new key: give the public key with --key to be sure)`
        : `expected   key ${report.pins.keyId}: every signature checked with it`,
    );
  }
  for (const h of report.pins.expectRootHashes) lines.push(`expected   root hash ${h}`);
  for (const r of report.rootHashes) lines.push(`root hash  ${r.path}  ${r.rootHash}`);
  for (const p of report.problems) lines.push(`${p.kind.padEnd(10)} ${p.path}: ${p.detail}`);
  const against = report.pins.keyId !== null ? ` against key ${report.pins.keyId}` : ' (key not pinned: compare the key id above with the published one)';
  lines.push(
    report.ok
      ? `PASS ${shown}: ${counted(report.bags, 'snapshot')}, ${counted(report.files, 'file')}, ${formatBytes(report.bytes)} checked; chain, signatures and index correct${against}.`
      : `FAIL ${shown}: ${counted(report.problems.length, 'problem')} above (${counted(report.bags, 'snapshot')}, ${counted(report.files, 'file')}, ${formatBytes(report.bytes)} checked).`,
  );
  return `${lines.join('\n')}\n`;
}
