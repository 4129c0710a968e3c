import { connect } from 'node:net';
import { z } from 'zod';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { blake2b512, keyIdHex, verifyMinisign, type PublicKey } from './minisign.ts';
import type { Signer } from '../core/signing.ts';

/** Where ballotsafe-signer.socket listens on the appliance. */
export const signerSocketPath = '/run/ballotsafe/signer.sock';

const checkService = 'Check the signing service: systemctl status ballotsafe-signer.socket ballotsafe-signer.service (installer guide, "Signing key").';

const replySchema = z.union([
  z.object({ ok: z.literal(true), signature: z.string().max(4096) }).strict(),
  z.object({ ok: z.literal(true), keyId: z.string().regex(/^[0-9A-F]{16}$/), publicKey: z.string().max(4096) }).strict(),
  z.object({ ok: z.literal(false), code: z.string().max(64), message: z.string().max(512) }).strict(),
]);
type Reply = z.infer<typeof replySchema>;

const maxReplyBytes = 16 * 1024;

/** One request line to the signer, one JSON reply line back (validated). */
export function askSigner(socketPath: string, line: string, timeoutMs = 10_000): Promise<Result<Reply>> {
  const unavailable = (what: string): OperatorError => operatorError('signer-unavailable', `The appliance's signing service ${what}.`, checkService);
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const socket = connect(socketPath);
    const done = (r: Result<Reply>) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    const parse = () => {
      const nl = data.indexOf(0x0a);
      let value: unknown;
      try {
        value = JSON.parse(data.subarray(0, nl === -1 ? data.length : nl).toString('utf8'));
      } catch {
        return done(err(unavailable('gave an unreadable answer')));
      }
      const parsed = replySchema.safeParse(value);
      done(parsed.success ? ok(parsed.data) : err(unavailable('gave an unexpected answer')));
    };
    socket.setTimeout(timeoutMs, () => done(err(unavailable('did not answer in time'))));
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length > maxReplyBytes) return done(err(unavailable('gave an overlong answer')));
      if (data.includes(0x0a)) parse();
    });
    socket.on('end', () => (data.length > 0 ? parse() : done(err(unavailable('closed the connection without answering')))));
    socket.on('error', (e: NodeJS.ErrnoException) => done(err(unavailable(e.code === 'EACCES' ? 'refused this program (permission denied on its socket)' : 'is not reachable'))));
  });
}

/**
 * Signs through the separate signer process. Every signature it returns is checked against the
 * public key pinned in the config before use: a signer holding some other key cannot slip its
 * signatures onto the drives.
 */
export class SocketSigner implements Signer {
  readonly keyId: Buffer;
  readonly publicKeyRaw: Buffer;

  constructor(
    readonly socketPath: string,
    private readonly pinned: PublicKey,
  ) {
    this.keyId = pinned.keyId;
    this.publicKeyRaw = pinned.raw;
  }

  async sign(content: Buffer | string, trustedComment: string): Promise<Result<string>> {
    if (!/^ballotsafe [\x20-\x7e]{1,501}$/.test(trustedComment)) return err(operatorError('signer-bad-comment', 'A snapshot description could not be signed (it has characters the signer refuses).', 'Report this to the appliance supplier; nothing was written.'));
    const reply = await askSigner(this.socketPath, `sign ${blake2b512(content).toString('hex')} ${trustedComment}`);
    if (!reply.ok) return reply;
    const r = reply.value;
    if (!r.ok) return err(operatorError('signer-refused', `The appliance's signing service refused to sign: ${r.message}`, checkService));
    if (!('signature' in r)) return err(operatorError('signer-unavailable', "The appliance's signing service gave an unexpected answer.", checkService));
    const check = verifyMinisign(this.pinned, Buffer.from(content), r.signature);
    if (!check.ok || check.trustedComment !== trustedComment) {
      return err(
        operatorError(
          'signer-wrong-key',
          `The signing service's signature does not verify with the appliance key ${keyIdHex(this.keyId)} in the config (${check.ok ? 'its description differs' : check.reason}).`,
          'The signer holds a different key than the config names. Restore the appliance key from its backup (installer guide, "Signing key"), or correct signing.publicKey; do not hand off drives until this is fixed.',
        ),
      );
    }
    return ok(r.signature);
  }

  /** The signer's own key (for `ballotsafe keys`): lets the installer see that it matches the config. */
  async publicKey(): Promise<Result<{ keyId: string; publicKey: string }>> {
    const reply = await askSigner(this.socketPath, 'pubkey');
    if (!reply.ok) return reply;
    const r = reply.value;
    if (!r.ok) return err(operatorError('signer-refused', `The appliance's signing service refused: ${r.message}`, checkService));
    if (!('keyId' in r)) return err(operatorError('signer-unavailable', "The appliance's signing service gave an unexpected answer.", checkService));
    return ok({ keyId: r.keyId, publicKey: r.publicKey });
  }
}
