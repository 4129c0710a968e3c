import type { CaptureService } from '../capture/captureService.ts';
import type { Db } from '../core/db/database.ts';
import { discoverDrives, systemSources } from '../drives/discovery.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { IntakeService, type AttachEvents, type StickCapturer } from './intakeService.ts';
import { defaultStickHelper } from './stickHelper.ts';

/** The intake as the CLI and the daemon build it: the root helper, the system's drive list, the capture service. */
export function createIntakeService(options: { db: Db; logger: Logger; capture: StickCapturer }, env: NodeJS.ProcessEnv = process.env): IntakeService {
  const allowLoop = env['BALLOTSAFE_HELPER_ALLOW_LOOP'] === '1';
  return new IntakeService({ db: options.db, logger: options.logger, helper: defaultStickHelper(env), capture: options.capture, discover: () => discoverDrives(systemSources, { allowLoop }) });
}

/**
 * The daemon's export-stick intake (USB mode): every enrolled stick plugged in is read, next to
 * the capture of the mounted shares, which goes on as before.
 */
export function startStickIntake(options: { db: Db; logger: Logger; capture: CaptureService; watcher: AttachEvents }, env: NodeJS.ProcessEnv = process.env): { service: IntakeService; stop(): void } {
  const service = createIntakeService(options, env);
  const stop = service.watch(options.watcher, (r, c) => {
    if (!r.ok) logEvent(options.logger, LogEvent.StickIntakeRefused, { device: c.device, code: r.error.code, error: r.error.message }, 'warn');
  });
  return { service, stop };
}
