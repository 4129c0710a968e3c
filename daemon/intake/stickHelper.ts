import { err, operatorError, type Result } from '../core/result.ts';
import { parseReply, socketTransport, spawnTransport, type HelperReply, type Transport } from '../drives/helperClient.ts';

/** The two things the intake asks the root helper (ballotsafe-drive-helper) to do. */
export interface StickHelper {
  /** Mounts the stick read-only, noexec, nosuid, nodev (and nosymfollow where the kernel has it). */
  mountStick(device: string): Promise<Result<HelperReply>>;
  unmountStick(): Promise<Result<HelperReply>>;
}

/** What to do, in words for a clerk, for the helper's refusals about a stick. */
const stickActions: Record<string, string> = {
  'no-device': 'The stick was unplugged. Plug it in again to read it.',
  'not-usb': 'Use a USB stick.',
  'in-use': 'Unplug the stick and plug it in again.',
  'already-mounted': 'Unplug the stick and plug it in again.',
  'role-busy': 'Wait until the other stick is done, then plug this one in again.',
  'no-filesystem': 'Ask the EMS staff to export onto a stick formatted as exFAT or FAT32.',
  'wrong-filesystem': 'Ask the EMS staff to export onto a stick formatted as exFAT or FAT32.',
  'mount-failed': 'Try another USB port. If it fails again, ask the EMS staff for a new export on another stick.',
  'mount-flags': 'Call the ballotsafe support contact: the appliance cannot protect itself while reading this stick.',
  busy: 'Wait a minute and try again; do not pull the stick yet.',
};

const deviceName = /^\/dev\/(sd[a-z]{1,2}[0-9]{0,2}|loop[0-9]{1,3})$/;

export function stickHelperOver(send: Transport): StickHelper {
  const request = async (line: string): Promise<Result<HelperReply>> => {
    const raw = await send(line);
    if (!raw.ok) return raw;
    const reply = parseReply(raw.value);
    if (reply.ok) return reply;
    const action = stickActions[reply.error.code];
    return action === undefined ? reply : err(operatorError(reply.error.code, reply.error.message, action));
  };
  return {
    mountStick: (device) => (deviceName.test(device) ? request(`mount-stick ${device}`) : Promise.resolve(err(operatorError('bad-device', 'Not an allowed device name.')))),
    unmountStick: () => request('unmount-stick'),
  };
}

/** Same choice as the drives (drives/wiring.ts): the socket, or the script spawned directly as root. */
export function defaultStickHelper(env: NodeJS.ProcessEnv = process.env): StickHelper {
  if (env['BALLOTSAFE_DRIVE_HELPER'] === 'spawn') {
    const pass: Record<string, string> = {};
    for (const k of ['BALLOTSAFE_HELPER_ALLOW_LOOP', 'BALLOTSAFE_HELPER_MOUNT_BASE', 'BALLOTSAFE_HELPER_USER']) {
      const v = env[k];
      if (v !== undefined) pass[k] = v;
    }
    return stickHelperOver(spawnTransport({ env: pass }));
  }
  return stickHelperOver(socketTransport(env['BALLOTSAFE_DRIVE_HELPER_SOCKET'] ?? undefined));
}

