import type { Db } from '../core/db/database.ts';
import type { Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { DriveStore } from '../drives/store.ts';
import type { DriveCandidate } from '../drives/types.ts';
import { IntakeService, type StickCapturer } from './intakeService.ts';
import type { StickHelper } from './stickHelper.ts';
import { IntakeStore, type ExportStick, type StickIntake } from './store.ts';
import { recordBroughtBy } from './broughtBy.ts';

/** What the web UI reads and asks about export sticks (WebDeps.sticks). */
export interface SticksProvider {
  intakes(limit?: number): StickIntake[];
  sticks(): ExportStick[];
  setBroughtBy(id: number, name: string, actor: string): Result<StickIntake>;
  /** USB sticks plugged in now that are neither drive A/B nor an enrolled export stick (USB mode only). */
  notEnrolled(): Promise<DriveCandidate[]>;
  enroll(device: string, ems: string, actor: string): Promise<Result<ExportStick>>;
}

/**
 * The web's view of export sticks. `discover` (USB mode) lists the plugged-in drives so the
 * supervisor can enroll a stick from the page; enrolling reads nothing from the stick.
 */
export function sticksProvider(db: Db, logger: Logger, discover?: () => Promise<Result<DriveCandidate[]>>): SticksProvider {
  const store = new IntakeStore(db);
  const audit = new AuditLog(db, logger);
  const drives = new DriveStore(db);
  const notCapturing: StickCapturer = { captureOnce: async () => err(operatorError('not-capturing', 'The web page does not read sticks.')) };
  const notMounting: StickHelper = { mountStick: async () => err(operatorError('not-mounting', 'The web page does not mount sticks.')), unmountStick: async () => ok({}) };
  const enroller = discover === undefined ? undefined : new IntakeService({ db, logger, helper: notMounting, capture: notCapturing, discover });
  return {
    intakes: (limit = 200) => store.intakes(limit),
    sticks: () => store.activeSticks(),
    setBroughtBy: (id, name, actor) => recordBroughtBy(store, audit, id, name, actor),
    async notEnrolled() {
      if (discover === undefined) return [];
      const found = await discover();
      return found.ok ? found.value.filter((c) => drives.findUsb(c.serial, c.uuid) === undefined && store.findStick(c.serial, c.uuid) === undefined) : [];
    },
    enroll: async (device, ems, actor) =>
      enroller === undefined ? err(operatorError('sticks-need-usb', 'Export sticks work only when the appliance uses USB drives.', 'Ask the ballotsafe support contact to switch the appliance to USB drives.')) : enroller.enroll({ device, ems, operator: actor }),
  };
}
