import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { parsePublicKeyFile } from '../snapshot/minisign.ts';
import { verifyPath } from '../snapshot/verify.ts';
import { discoverDrives, systemSources } from './discovery.ts';
import { socketDriveHelper, spawnDriveHelper, type DriveHelper } from './helperClient.ts';
import { DriveWatcher } from './hotplug.ts';
import { DriveService } from './service.ts';
import { SnapshotTriggers, type TriggerDeps, type TriggeredSnapshot } from './triggers.ts';
import type { VerifyDriveFn } from './types.ts';

/** The snapshot engine's offline verify (daemon/snapshot/verify.ts) as the drives' VerifyDriveFn. */
export const verifyDriveWithEngine: VerifyDriveFn = async (root, pins) => {
  const key = pins?.publicKey == null ? undefined : parsePublicKeyFile(pins.publicKey);
  if (pins !== undefined && key === undefined) {
    return ok({ ok: false, filesChecked: 0, problems: ["The appliance's own public key cannot be read, so the drive cannot be checked against it (the appliance may not have made a snapshot yet)."] });
  }
  try {
    const r = await verifyPath(root, key === undefined ? {} : { pins: { key, expectRootHashes: pins?.rootHashes ?? [] } });
    return ok({ ok: r.ok, filesChecked: r.files, problems: r.problems.map((p) => `${p.kind} ${p.path}: ${p.detail}`) });
  } catch (e) {
    return err(operatorError('verify-failed', 'The drive could not be read for verification.', 'Unplug the drive and plug it in again; if this repeats, treat the drive as failed.', (e as Error).message));
  }
};

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
  const base = { config: opts.config, db: opts.db, logger: opts.logger, verify: opts.verify ?? verifyDriveWithEngine, ...(opts.isSnapshotRunning ? { isSnapshotRunning: opts.isSnapshotRunning } : {}) };
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

export interface DriveAutomation {
  readonly triggers: SnapshotTriggers;
  /** Present in USB mode: hot-plug events (and verify-on-return on every enrolled drive plugged in). */
  readonly watcher: DriveWatcher | null;
  stop(): void;
}

/**
 * What the daemon starts at boot for drives: the snapshot triggers (schedules, export settled) and,
 * with USB drives, the hot-plug watcher with verify-on-return. `runSnapshot`/`isBusy` come from the
 * custody workflow (runtime/ passes them), so scheduled runs get the UI's checks and show progress.
 */
export async function startDriveAutomation(options: {
  readonly service: DriveService;
  readonly runSnapshot: TriggerDeps['runSnapshot'];
  readonly isBusy: TriggerDeps['isBusy'];
  readonly config: Config;
  readonly logger: Logger;
  readonly discover?: () => ReturnType<typeof discoverDrives>;
  readonly pollMs?: number;
  readonly onBackgroundResult?: (reason: string, result: Result<TriggeredSnapshot>) => void;
}): Promise<Result<DriveAutomation>> {
  const { service, config, logger } = options;
  const triggers = new SnapshotTriggers(
    {
      runSnapshot: options.runSnapshot,
      isBusy: options.isBusy,
      handOff: (outcome, req) => service.handOff(outcome, req),
      logger,
      onBackgroundResult: (reason, result) => {
        if (!result.ok) logEvent(logger, LogEvent.SnapshotFailed, { reason, code: result.error.code, error: result.error.message }, 'warn');
        options.onBackgroundResult?.(reason, result);
      },
    },
    config.snapshot,
  );
  const started = triggers.start();
  if (!started.ok) return started;
  let watcher: DriveWatcher | null = null;
  if (config.drives.mode === 'usb') {
    const allowLoop = process.env['BALLOTSAFE_HELPER_ALLOW_LOOP'] === '1';
    watcher = new DriveWatcher(options.discover ?? (() => discoverDrives(systemSources, { allowLoop })), logger, options.pollMs ?? 3000);
    // Netlink is often not allowed (the appliance unit has no AF_NETLINK): the poller then does the work.
    await watcher.start({ udevadm: true, usb: true });
    // After the first scan: drives already in at start are the working pair, not returns.
    service.watchReturns(watcher, (r, c) => {
      if (!r.ok && r.error.code !== 'drive-unknown') logEvent(logger, LogEvent.DriveRefused, { device: c.device, code: r.error.code, error: r.error.message }, 'warn');
    });
  }
  return ok({
    triggers,
    watcher,
    stop() {
      triggers.stop();
      watcher?.stop();
    },
  });
}
