import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { discoverDrives, systemSources } from './discovery.ts';
import { socketDriveHelper, spawnDriveHelper, type DriveHelper } from './helperClient.ts';
import { DriveService } from './service.ts';
import type { VerifyDriveFn } from './types.ts';

export interface DriveWiringOptions {
  readonly config: Config;
  readonly db: Db;
  readonly logger: Logger;
  readonly verify?: VerifyDriveFn;
  readonly isSnapshotRunning?: () => boolean;
}

/**
 * How the daemon reaches the root helper. Production: the socket (the daemon has no privileges).
 * BALLOTSAFE_DRIVE_HELPER=spawn runs the script directly, for development and tests as root.
 */
export function defaultDriveHelper(env: NodeJS.ProcessEnv = process.env): DriveHelper {
  if (env['BALLOTSAFE_DRIVE_HELPER'] === 'spawn') {
    const pass: Record<string, string> = {};
    for (const k of ['BALLOTSAFE_HELPER_ALLOW_LOOP', 'BALLOTSAFE_HELPER_MOUNT_BASE', 'BALLOTSAFE_HELPER_USER']) {
      const v = env[k];
      if (v !== undefined) pass[k] = v;
    }
    return spawnDriveHelper({ env: pass });
  }
  return socketDriveHelper(env['BALLOTSAFE_DRIVE_HELPER_SOCKET'] ?? undefined);
}

/** The DriveService the daemon, the CLI and the web UI share, wired for the configured mode. */
export function createDriveService(opts: DriveWiringOptions, env: NodeJS.ProcessEnv = process.env): DriveService {
  const base = { config: opts.config, db: opts.db, logger: opts.logger, ...(opts.verify ? { verify: opts.verify } : {}), ...(opts.isSnapshotRunning ? { isSnapshotRunning: opts.isSnapshotRunning } : {}) };
  if (opts.config.drives.mode === 'folders') return new DriveService(base);
  const allowLoop = env['BALLOTSAFE_HELPER_ALLOW_LOOP'] === '1';
  const mountBase = env['BALLOTSAFE_DRIVE_HELPER'] === 'spawn' ? env['BALLOTSAFE_HELPER_MOUNT_BASE'] : undefined;
  return new DriveService({
    ...base,
    helper: defaultDriveHelper(env),
    discover: () => discoverDrives(systemSources, { allowLoop }),
    ...(mountBase !== undefined ? { mountBase } : {}),
  });
}
