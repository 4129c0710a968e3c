import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPaths, type Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { publicKeyFileName } from './minisign.ts';

/** Which drive a write record belongs to: USB by serial and file-system UUID, folders by path. */
export interface DriveRecordKey {
  readonly role: 'A' | 'B';
  readonly serial: string | null;
  readonly uuid: string | null;
  readonly folderPath: string | null;
  /** Only writes since this time (the enrollment): an earlier drive with the same id was another drive. */
  readonly since: string;
}

/**
 * Root hashes of the snapshots this appliance wrote completely to one drive (of the configured
 * election): what a returning drive must still hold.
 */
export function rootHashesWrittenTo(db: Db, election: string, drive: DriveRecordKey): Array<{ bagName: string; rootHash: string }> {
  const usb = drive.serial !== null || drive.uuid !== null;
  return db
    .prepare<[string, string, string, number, string, string, string], { bagName: string; rootHash: string }>(
      `SELECT DISTINCT s.bag_name AS bagName, s.root_hash AS rootHash, s.sequence
       FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
       WHERE w.state = 'complete' AND s.election = ? AND w.role = ? AND w.started_at >= ?
         AND CASE WHEN ? = 1 THEN coalesce(w.serial, '') = ? AND coalesce(w.uuid, '') = ? ELSE w.drive_root = ? END
       ORDER BY s.sequence`,
    )
    .all(election, drive.role, drive.since, usb ? 1 : 0, drive.serial ?? '', drive.uuid ?? '', drive.folderPath ?? '')
    .map((r) => ({ bagName: r.bagName, rootHash: r.rootHash }));
}

/** The appliance's public key file (minisign format), or null before the first snapshot made one. */
export function appliancePublicKeyText(config: Config): string | null {
  // On the appliance the key belongs to the signer; its public key is pinned in the config.
  if (config.signing !== undefined) return `untrusted comment: ballotsafe appliance public key (pinned in the config)\n${config.signing.publicKey}\n`;
  try {
    return readFileSync(join(dataPaths(config).keys, publicKeyFileName), 'utf8');
  } catch {
    return null;
  }
}
