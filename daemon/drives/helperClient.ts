import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { DriveRole } from './types.ts';

/** Where the socket-activated root helper listens (ballotsafe-drive-helper.socket). */
export const helperSocketPath = '/run/ballotsafe/drive-helper.sock';
/** Mount points are fixed inside the helper; the daemon only needs to know where they are. */
export const defaultMountBase = '/media/ballotsafe';
export const helperScriptPath = fileURLToPath(new URL('./privileged/ballotsafe-drive-helper', import.meta.url));

const replySchema = z.union([
  z
    .object({
      ok: z.literal(true),
      mountpoint: z.string().optional(),
      fstype: z.string().optional(),
      nosymfollow: z.boolean().optional(),
      poweredOff: z.boolean().optional(),
      uuid: z.string().optional(),
      label: z.string().optional(),
    })
    .strict(),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }).strict(),
]);

export interface HelperReply {
  readonly mountpoint?: string;
  readonly fstype?: string;
  readonly nosymfollow?: boolean;
  readonly poweredOff?: boolean;
  readonly uuid?: string;
  readonly label?: string;
}

/** The four things the daemon may ask root to do. Implemented over the socket, or by spawning the script. */
export interface DriveHelper {
  mount(device: string, role: DriveRole): Promise<Result<HelperReply>>;
  unmount(role: DriveRole): Promise<Result<HelperReply>>;
  eject(device: string): Promise<Result<HelperReply>>;
  formatExfat(device: string, label: string): Promise<Result<HelperReply>>;
}

/** Sends one request line and reads one reply line. */
export type Transport = (line: string) => Promise<Result<string>>;

const actionFor: Record<string, string> = {
  'no-device': 'Plug the drive in again and wait a few seconds.',
  'not-usb': 'Use one of the county\'s USB drives.',
  'system-disk': 'Choose the USB drive, not the appliance disk.',
  'in-use': 'Close whatever uses the drive, or unplug and re-plug it.',
  'already-mounted': 'Eject the drive first on the Drives page, then try again.',
  'role-busy': 'Eject the drive that is in that role first, on the Drives page.',
  'no-filesystem': 'Enroll the drive with erasing: on the Drives page press "Enroll a drive" and type ERASE.',
  'wrong-filesystem': 'Enroll the drive with erasing: on the Drives page press "Enroll a drive" and type ERASE.',
  'mount-failed': 'Try another USB port; if it fails again, replace the drive.',
  busy: 'Wait for the snapshot to finish, then eject again.',
  'helper-unavailable': 'Check that ballotsafe-drive-helper.socket is running (systemctl status ballotsafe-drive-helper.socket).',
};

export function parseReply(text: string): Result<HelperReply> {
  const line = text.split('\n')[0] ?? '';
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return err(operatorError('helper-bad-reply', 'The drive helper gave an unreadable answer.', actionFor['helper-unavailable']));
  }
  const parsed = replySchema.safeParse(data);
  if (!parsed.success) return err(operatorError('helper-bad-reply', 'The drive helper gave an unexpected answer.', actionFor['helper-unavailable']));
  const reply = parsed.data;
  if (!reply.ok) return err(operatorError(reply.code, reply.message, actionFor[reply.code]));
  const { ok: _ok, ...rest } = reply;
  return ok(rest);
}

/** Validation the helper repeats; done here too so a bad name never leaves the daemon. */
const deviceName = /^\/dev\/(sd[a-z]{1,2}[0-9]{0,2}|loop[0-9]{1,3})$/;
const labelName = /^[A-Za-z0-9_-]{1,11}$/;

function makeHelper(send: Transport): DriveHelper {
  const request = async (line: string): Promise<Result<HelperReply>> => {
    const raw = await send(line);
    return raw.ok ? parseReply(raw.value) : raw;
  };
  const badDevice = () => err(operatorError('bad-device', 'Not an allowed device name.', 'Pick the drive from the Drives page.'));
  return {
    mount: (device, role) => (deviceName.test(device) ? request(`mount ${device} ${role}`) : Promise.resolve(badDevice())),
    unmount: (role) => request(`unmount ${role}`),
    eject: (device) => (deviceName.test(device) ? request(`eject ${device}`) : Promise.resolve(badDevice())),
    formatExfat: (device, label) =>
      !deviceName.test(device)
        ? Promise.resolve(badDevice())
        : labelName.test(label)
          ? request(`format-exfat ${device} ${label}`)
          : Promise.resolve(err(operatorError('bad-request', 'The label must be 1 to 11 letters, digits, dash or underscore.'))),
  };
}

/** The production client: one connection per request to the socket-activated helper. */
export function socketDriveHelper(socketPath: string = helperSocketPath, timeoutMs = 120_000): DriveHelper {
  return makeHelper(socketTransport(socketPath, timeoutMs));
}

/** One connection per request to the socket-activated helper. */
export function socketTransport(socketPath: string = helperSocketPath, timeoutMs = 120_000): Transport {
  return (
    (line) =>
      new Promise((resolve) => {
        let data = '';
        let settled = false;
        const done = (r: Result<string>) => {
          if (settled) return;
          settled = true;
          socket.destroy();
          resolve(r);
        };
        const socket = connect(socketPath);
        socket.setEncoding('utf8');
        socket.setTimeout(timeoutMs, () => done(err(operatorError('helper-timeout', 'The drive helper did not answer in time.', actionFor['helper-unavailable']))));
        socket.on('connect', () => socket.write(`${line}\n`));
        socket.on('data', (chunk: string) => {
          data += chunk;
          if (data.includes('\n')) done(ok(data));
        });
        socket.on('end', () => done(data.length > 0 ? ok(data) : err(operatorError('helper-unavailable', 'The drive helper closed the connection without answering.', actionFor['helper-unavailable']))));
        socket.on('error', (e) => done(err(operatorError('helper-unavailable', `Cannot reach the drive helper: ${e.message}`, actionFor['helper-unavailable']))));
      })
  );
}

/**
 * Tests and development: runs the script directly (as root), with the environment knobs the
 * systemd unit would set (loop devices allowed, a temporary mount base, the owner user).
 */
export function spawnDriveHelper(options: { script?: string; env?: Readonly<Record<string, string>> } = {}): DriveHelper {
  return makeHelper(spawnTransport(options));
}

/** Runs the script once per request (tests and development, as root). */
export function spawnTransport(options: { script?: string; env?: Readonly<Record<string, string>> } = {}): Transport {
  const script = options.script ?? helperScriptPath;
  return (
    (line) =>
      new Promise((resolve) => {
        const child = spawn('/bin/sh', [script], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
        child.on('error', (e) => resolve(err(operatorError('helper-unavailable', `Cannot run the drive helper: ${e.message}`, actionFor['helper-unavailable']))));
        child.on('close', () => resolve(out.length > 0 ? ok(out) : err(operatorError('helper-unavailable', 'The drive helper printed nothing.', actionFor['helper-unavailable']))));
        child.stdin.end(`${line}\n`);
      })
  );
}
