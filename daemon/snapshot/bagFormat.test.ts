import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { err, operatorError } from '../core/result.ts';
import type { Signer } from '../core/signing.ts';
import {
  bagNameFor,
  bagNamePattern,
  formatCumulativeIndex,
  formatCumulativeManifest,
  manifestLine,
  parseBagInfo,
  parseFilesTsv,
  parseManifest,
} from './bagFormat.ts';
import type { CatalogVersion } from './catalog.ts';
import { loadOrCreateApplianceKey, publicKeyFile } from './minisign.ts';
import { buildBag, markerText, sha256Hex, tagWriteOrder, type BagContext } from './plan.ts';
import { inProcessSigner } from './signerChoice.ts';

/**
 * The pure core of a snapshot (plan → bag format) on its own, checked by the standard tools an
 * auditor would use: the bag a plan describes must pass `sha256sum -c` and `minisign -V`, and
 * a bag changed after signing must not.
 */

const work = mkdtempSync(join(tmpdir(), 'bag-format-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const key = loadOrCreateApplianceKey(join(work, 'keys'));
const body = (text: string) => Buffer.from(text);

function version(id: number, rootLabel: string, relPath: string, text: string): CatalogVersion & { bytes: Buffer } {
  const bytes = body(text);
  return { id, rootLabel, relPath, size: bytes.length, mtimeNs: '1700000000000000000', sha256: sha256Hex(bytes), kind: 'image', capturedAt: '2026-11-03T20:00:00Z', bytes };
}

const versions = [
  version(1, 'cvr', 'tab1/CvrExport.json', '{"a":1}'),
  version(2, 'images', 'tab1/00001.tif', 'first scan'),
  version(3, 'images', 'tab1/00001.tif', 'same name, captured again'),
  version(4, 'images', 'Ünïcode/ballot\tname.tif', 'odd name'),
];

function context(signer: Signer = inProcessSigner(key)): BagContext {
  const startedAt = new Date('2026-11-03T21:30:05.123Z');
  return {
    sequence: 7,
    bagName: bagNameFor(7, startedAt),
    startedAt,
    full: false,
    reason: 'poll close',
    electionName: 'general-2026',
    electionTitle: 'Test County',
    applianceId: 'appliance-1',
    previousRootHash: 'a'.repeat(64),
    previousBagName: '000006-20261103T200000Z',
    key: signer,
  };
}

/** Writes a planned bag as a drive would hold it, and returns its folder. */
async function writtenBag(name: string): Promise<{ dir: string; bag: Awaited<ReturnType<typeof planned>> }> {
  const bag = await planned();
  const dir = join(work, name);
  for (const item of bag.items) {
    const source = versions.find((v) => v.id === item.fileVersionId);
    mkdirSync(dirname(join(dir, item.payloadPath)), { recursive: true });
    writeFileSync(join(dir, item.payloadPath), source?.bytes ?? Buffer.alloc(0));
  }
  for (const file of tagWriteOrder) writeFileSync(join(dir, file), bag.tagFiles[file] ?? '');
  writeFileSync(join(work, 'appliance.pub'), publicKeyFile(key));
  return { dir, bag };
}

async function planned() {
  const result = await buildBag(versions, context());
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const check = (dir: string, cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });

describe('snapshot plan and bag format', () => {
  it('plans a bag that sha256sum and minisign accept, and reject once a file is changed', async () => {
    const { dir, bag } = await writtenBag('good');
    expect(bag.files).toBe(4);
    expect(bag.bytes).toBe(versions.reduce((n, v) => n + v.size, 0));
    expect(bag.bagName).toMatch(bagNamePattern);
    expect(check(dir, 'sha256sum', ['-c', '--quiet', 'manifest-sha256.txt']).status).toBe(0);
    expect(check(dir, 'sha256sum', ['-c', '--quiet', 'tagmanifest-sha256.txt']).status).toBe(0);
    expect(check(dir, 'minisign', ['-Vm', 'tagmanifest-sha256.txt', '-p', join(work, 'appliance.pub')]).status).toBe(0);
    // The root hash is the tag manifest's own SHA-256, as the drive README tells auditors.
    expect(execFileSync('sha256sum', ['tagmanifest-sha256.txt'], { cwd: dir, encoding: 'utf8' }).slice(0, 64)).toBe(bag.rootHash);

    const bad = (await writtenBag('changed')).dir;
    const first = bag.items[0];
    if (first === undefined) throw new Error('no item');
    writeFileSync(join(bad, first.payloadPath), 'changed after signing');
    expect(check(bad, 'sha256sum', ['-c', '--quiet', 'manifest-sha256.txt']).status).not.toBe(0);
    writeFileSync(join(bad, 'bag-info.txt'), `${bag.tagFiles['bag-info.txt'] ?? ''}Extra: line\n`);
    expect(check(bad, 'sha256sum', ['-c', '--quiet', 'tagmanifest-sha256.txt']).status).not.toBe(0);
    writeFileSync(join(bad, 'tagmanifest-sha256.txt'), `${bag.tagFiles['tagmanifest-sha256.txt'] ?? ''}${manifestLine('0'.repeat(64), 'x.txt')}`);
    expect(check(bad, 'minisign', ['-Vm', 'tagmanifest-sha256.txt', '-p', join(work, 'appliance.pub')]).status).not.toBe(0);
  });

  it('keeps every version of a path, the newest at its own name, and records the chain', async () => {
    const bag = await planned();
    const paths = bag.items.map((i) => i.payloadPath);
    expect(paths).toContain('data/images/tab1/00001.tif');
    expect(paths).toContain('data/_versions/2/images/tab1/00001.tif');
    expect(bag.items.find((i) => i.payloadPath === 'data/images/tab1/00001.tif')?.fileVersionId).toBe(3);
    const info = parseBagInfo(bag.tagFiles['bag-info.txt'] ?? '');
    expect(info.get('Payload-Oxum')).toBe(`${bag.bytes}.4`);
    expect(info.get('Ballotsafe-Previous-Tagmanifest-SHA256')).toBe('a'.repeat(64));
    expect(info.get('Ballotsafe-Count-image')).toBe('4');
    expect(markerText(bag)).toContain(`Root-Hash: ${bag.rootHash}`);
  });

  it('reads back what it writes: manifests, the files list with odd names, the cumulative files', async () => {
    const bag = await planned();
    const manifest = parseManifest(bag.tagFiles['manifest-sha256.txt'] ?? '');
    expect(manifest.badLines).toEqual([]);
    expect(manifest.entries.map((e) => e.path).sort()).toEqual(bag.items.map((i) => i.payloadPath).sort());
    const records = parseFilesTsv(bag.tagFiles['ballotsafe-files.tsv'] ?? '');
    if (typeof records === 'string') throw new Error(records);
    expect(records.map((r) => r.relPath)).toContain('Ünïcode/ballot\tname.tif');
    expect(parseFilesTsv('not the header\n')).toBe('header line is wrong');
    expect(parseFilesTsv(`${(bag.tagFiles['ballotsafe-files.tsv'] ?? '').split('\n')[0]}\n1\t2\n`)).toBe('line 2 has 2 columns');
    expect(formatCumulativeIndex([{ sequence: 7, bagName: bag.bagName, records }]).split('\n').length).toBe(records.length + 2);
    const cumulative = parseManifest(formatCumulativeManifest([{ bagName: bag.bagName, records }]));
    expect(cumulative.entries.every((e) => e.path.startsWith(`snapshots/${bag.bagName}/data/`))).toBe(true);
    // sha256sum's backslash form for a name with a newline is understood; a line that is no manifest line is reported.
    const odd = parseManifest(`\\${'b'.repeat(64)}  a\\nb\nnot a manifest line\n`);
    expect(odd.entries).toEqual([{ sha256: 'b'.repeat(64), path: 'a\nb' }]);
    expect(odd.badLines).toEqual(['not a manifest line']);
    expect(() => manifestLine('c'.repeat(64), 'a\nb')).toThrow();
  });

  it('passes on a signer that fails instead of making an unsigned bag', async () => {
    const failing: Signer = { ...inProcessSigner(key), sign: async () => err(operatorError('SIGNER_DOWN', 'The signing service did not answer.', 'Restart the appliance.')) };
    const result = await buildBag(versions, context(failing));
    expect(result.ok).toBe(false);
  });
});
