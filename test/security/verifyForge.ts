import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  bagInfoName,
  completeMarkerName,
  cumulativeIndexName,
  cumulativeManifestName,
  formatCumulativeIndex,
  formatCumulativeManifest,
  filesTsvName,
  formatFilesTsv,
  manifestLine,
  manifestName,
  parseFilesTsv,
  signatureName,
  tagManifestName,
  taggedFiles,
} from '../../daemon/snapshot/bagFormat.ts';
import { keyIdHex, loadOrCreateApplianceKey, publicKeyFile, publicKeyFileName, signMinisign, type ApplianceKey } from '../../daemon/snapshot/minisign.ts';
import { markerText } from '../../daemon/snapshot/plan.ts';

/** What an attacker holding `key` does to a drive: rebuilds every bag from the files now on it, re-signs, re-chains. */

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string, rel: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) filesUnder(join(dir, e.name), `${rel}/${e.name}`, out);
    else out.push(`${rel}/${e.name}`);
  }
  return out;
}

export function newForgerKey(): ApplianceKey {
  return loadOrCreateApplianceKey(mkdtempSync(join(tmpdir(), 'bs-forger-key-')));
}

export function electionDirOf(drive: string, election = 'test-election'): string {
  return join(drive, 'ballotsafe', election);
}

export function bagDirs(electionDir: string): string[] {
  return readdirSync(join(electionDir, 'snapshots')).sort().map((n) => join(electionDir, 'snapshots', n));
}

/** Re-signs every bag (manifests rebuilt from the data on the drive) and the cumulative files with `key`. */
export function forgeElection(electionDir: string, key: ApplianceKey, options: { replacePublicKey: boolean }): void {
  let previous: string | null = null;
  const bags: Array<{ sequence: number; bagName: string; rootHash: string; records: ReturnType<typeof parseRecords> }> = [];
  for (const dir of bagDirs(electionDir)) {
    const bagName = basename(dir);
    const onDisk = new Map(filesUnder(join(dir, 'data'), 'data').map((p) => [p, readFileSync(join(dir, p))]));
    const records = parseRecords(readFileSync(join(dir, filesTsvName), 'utf8'))
      .filter((r) => onDisk.has(r.payloadPath))
      .map((r) => {
        const content = onDisk.get(r.payloadPath) ?? Buffer.alloc(0);
        return { ...r, sha256: sha(content), size: content.length };
      });
    const bytes = records.reduce((n, r) => n + r.size, 0);
    const sequence = Number(bagName.slice(0, 6));
    const info = readFileSync(join(dir, bagInfoName), 'utf8')
      .split('\n')
      .map((l) =>
        l.startsWith('Payload-Oxum:') ? `Payload-Oxum: ${bytes}.${records.length}`
        : l.startsWith('Ballotsafe-Byte-Count:') ? `Ballotsafe-Byte-Count: ${bytes}`
        : l.startsWith('Ballotsafe-File-Count:') ? `Ballotsafe-File-Count: ${records.length}`
        : l.startsWith('Ballotsafe-Key-Id:') ? `Ballotsafe-Key-Id: ${keyIdHex(key.keyId)}`
        : l.startsWith('Ballotsafe-Previous-Tagmanifest-SHA256:') ? `Ballotsafe-Previous-Tagmanifest-SHA256: ${previous ?? 'none'}`
        : l,
      )
      .join('\n');
    writeFileSync(join(dir, bagInfoName), info);
    writeFileSync(join(dir, manifestName), records.map((r) => manifestLine(r.sha256, r.payloadPath)).join(''));
    writeFileSync(join(dir, filesTsvName), formatFilesTsv(records));
    const tagManifest = taggedFiles.map((n) => manifestLine(sha(readFileSync(join(dir, n))), n)).join('');
    writeFileSync(join(dir, tagManifestName), tagManifest);
    const rootHash = sha(tagManifest);
    writeFileSync(join(dir, signatureName), signMinisign(key, tagManifest, `ballotsafe election:test-election snapshot:${bagName} sequence:${sequence} root:${rootHash} previous:${previous ?? 'none'}`));
    writeFileSync(join(dir, completeMarkerName), markerText({ bagName, rootHash, sequence }));
    bags.push({ sequence, bagName, rootHash, records });
    previous = rootHash;
  }
  // The cumulative files, and their signatures in the drive's own format when it has them.
  const latest = bags.at(-1);
  for (const [name, content] of [
    [cumulativeIndexName, formatCumulativeIndex(bags)],
    [cumulativeManifestName, formatCumulativeManifest(bags)],
  ] as const) {
    writeFileSync(join(electionDir, name), content);
    const trusted = `ballotsafe election:${basename(electionDir)} file:${name} snapshots:${bags.length} latest:${latest?.bagName ?? 'none'} root:${latest?.rootHash ?? 'none'}`;
    if (existsSync(join(electionDir, `${name}.minisig`))) writeFileSync(join(electionDir, `${name}.minisig`), signMinisign(key, content, trusted));
  }
  if (options.replacePublicKey) writeFileSync(join(electionDir, publicKeyFileName), publicKeyFile(key));
}

function parseRecords(text: string) {
  const r = parseFilesTsv(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/** A copy of a drive folder to tamper with. */
export function copyDrive(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

/** Every file under a folder with its SHA-256 (to show a drive was not touched). */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of filesUnder(dir, '.')) out[rel] = `${statSync(join(dir, rel)).size}:${sha(readFileSync(join(dir, rel)))}`;
  return out;
}

export const repoRoot = join(import.meta.dirname, '..', '..');

/** The real CLI, as an auditor runs it, under `timeout` (exit 124 = it hung). */
export function runVerifyCli(args: readonly string[], seconds = 20): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync('timeout', ['-k', '5', String(seconds), process.execPath, join(repoRoot, 'bin', 'ballotsafe.js'), 'verify', ...args], { encoding: 'utf8', env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' }, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}
