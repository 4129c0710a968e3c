import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../core/db/database.ts';
import { cumulativeIndexName, driveReadme, driveReadmeName, filesTsvName, parseFilesTsv, type FileRecord } from './bagFormat.ts';
import { crashPoint } from './crashPoints.ts';
import { cumulativeFiles, type CumulativeSigner } from './cumulativeFiles.ts';
import { driveError, mkdirOnDrive, syncFilesystem, writeFileAtomic } from './driveIo.ts';
import type { DriveRun } from './driveRun.ts';
import { keyIdHex, publicKeyFile, publicKeyFileName, type ApplianceKey } from './minisign.ts';
import { loadBag, snapshotRows } from './store.ts';

/** Public key and README (before bags) or the cumulative index (after): atomic replace. */
export interface DriveFilesContext {
  readonly db: Db;
  readonly electionName: string;
  /** The appliance key's identity, and its signature on the cumulative index (signer/signer.ts). */
  readonly key: Pick<ApplianceKey, 'keyId' | 'publicKeyRaw'> & { readonly sign: CumulativeSigner };
}

export async function writeDriveFiles(ctx: DriveFilesContext, d: DriveRun, index: boolean): Promise<void> {
  if (d.error !== undefined) return;
  try {
    await mkdirOnDrive(d.target.root, join(d.electionDir, 'snapshots'));
    if (!index) {
      const pub = publicKeyFile(ctx.key);
      const readme = driveReadme(ctx.electionName, keyIdHex(ctx.key.keyId));
      const pubPath = join(d.electionDir, publicKeyFileName);
      if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8') !== pub) await writeFileAtomic(pubPath, pub);
      for (const p of [join(d.electionDir, driveReadmeName), join(d.target.root, 'ballotsafe', driveReadmeName)]) {
        if (!existsSync(p) || readFileSync(p, 'utf8') !== readme) await writeFileAtomic(p, readme);
      }
      return;
    }
    const rows = snapshotRows(ctx.db, ctx.electionName).filter((r) => d.present.has(r.bag_name));
    const bags = rows.map((r) => {
      const tsv = parseFilesTsv(loadBag(ctx.db, r).tagFiles[filesTsvName] ?? '');
      const records: FileRecord[] = typeof tsv === 'string' ? [] : tsv;
      return { sequence: r.sequence, bagName: r.bag_name, rootHash: r.root_hash, records };
    });
    const files = await cumulativeFiles(ctx.electionName, bags, (c, trusted) => ctx.key.sign(c, trusted));
    if (!files.ok) {
      d.error = files.error;
      return;
    }
    for (const [name, content] of files.value) {
      await writeFileAtomic(join(d.electionDir, name), content);
      if (name === cumulativeIndexName) crashPoint('index');
    }
    await syncFilesystem(d.electionDir);
  } catch (e) {
    d.error = driveError(d.target.role, d.target.root, e);
  }
}
