#!/usr/bin/env node
// @ts-check
/**
 * ballotsafe-signer: the only process that can read the appliance's signing key.
 *
 * On the appliance it runs as its own unix user (ballotsafe-signer), which alone owns
 * /var/lib/ballotsafe-signer (0700) and the key in it; the daemon (user ballotsafe) can only ask
 * for signatures through /run/ballotsafe/signer.sock (ballotsafe-signer.socket, 0660
 * root:ballotsafe). So a path bug in capture can never copy the key onto a drive.
 *
 * It never opens a file named by a caller. Plain Node with node:crypto/net/fs only (no
 * node_modules, no tsx): the smallest code that can touch the key.
 *
 *   ballotsafe-signer.mjs init  --key-dir DIR              create the key if missing; print the public key file
 *   ballotsafe-signer.mjs pubkey --key-dir DIR             print the public key file
 *   ballotsafe-signer.mjs serve --key-dir DIR [--listen P] answer requests on the socket systemd passes
 *                                                          (LISTEN_FDS), or on a new socket P (tests, demo)
 *
 * Protocol: one request line (at most 1024 bytes, printable ASCII), one JSON reply line, then the
 * connection closes:
 *   pubkey                         -> {"ok":true,"keyId":"<16 hex>","publicKey":"<minisign .pub file>"}
 *   sign <prehash> <trusted comment>
 *       prehash: BLAKE2b-512 of the signed file, 128 lowercase hex digits (minisign's "ED" mode)
 *       trusted comment: "ballotsafe ..." printable ASCII, at most 512 characters
 *                                  -> {"ok":true,"signature":"<minisign .minisig file>"}
 *   anything else                  -> {"ok":false,"code":"...","message":"..."}
 * Key file: the daemon's format ({"format":"ballotsafe-ed25519-v1","keyId":<hex>,"privateKeyPem":...}).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const secretKeyFileName = 'appliance-ed25519.json';
export const maxRequestBytes = 1024;
export const maxConnections = 8;
const idleMs = 5000;
const requestPattern = /^sign ([0-9a-f]{128}) (ballotsafe [\x20-\x7e]{1,501})$/;

/**
 * One JSON log line (pino's shape; event names are in daemon/core/log/events.ts).
 * @param {string} event @param {Record<string, unknown>} fields @param {number} level
 */
function log(event, fields = {}, level = 30) {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, name: 'ballotsafe-signer', event, ...fields })}\n`);
}

/** minisign's display form of a key id (the 8 bytes read as a little-endian integer). */
function keyIdHex(/** @type {Buffer} */ keyId) {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

/**
 * @typedef {{ keyId: Buffer, privateKey: import('node:crypto').KeyObject, publicKeyRaw: Buffer }} Key
 */

/** @param {Key} key */
export function publicKeyFile(key) {
  const blob = Buffer.concat([Buffer.from('Ed'), key.keyId, key.publicKeyRaw]);
  return `untrusted comment: minisign public key ${keyIdHex(key.keyId)}\n${blob.toString('base64')}\n`;
}

/** The key directory must be ours alone: no access for group or others. */
function checkKeyDir(/** @type {string} */ dir) {
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Fatal(`${dir} is not a folder`);
  if ((st.mode & 0o077) !== 0) throw new Fatal(`${dir} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); it must be 0700`);
}

class Fatal extends Error {}

/** Reads the key without following a symlink, and refuses a key file others could read. */
function loadKey(/** @type {string} */ dir) {
  checkKeyDir(dir);
  const path = join(dir, secretKeyFileName);
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === 'ENOENT') throw new Fatal(`there is no signing key in ${dir}; create it with "ballotsafe-signer.mjs init --key-dir ${dir}" (provision.sh does this)`);
    throw new Fatal(`cannot open the signing key ${path} (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 16384) throw new Fatal(`${path} is not a key file`);
    if ((st.mode & 0o077) !== 0) throw new Fatal(`${path} can be read by other users; it must be mode 0600`);
    // Root (provision.sh) may read it; anyone else must own it.
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    if (uid !== 0 && st.uid !== uid) throw new Fatal(`${path} belongs to another user`);
    let data;
    try {
      data = JSON.parse(readFileSync(fd, 'utf8'));
    } catch {
      throw new Fatal(`${path} is not a ballotsafe signing key`);
    }
    if (data?.format !== 'ballotsafe-ed25519-v1' || typeof data.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(data.keyId) || typeof data.privateKeyPem !== 'string') {
      throw new Fatal(`${path} is not a ballotsafe signing key`);
    }
    const privateKey = createPrivateKey(data.privateKeyPem);
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Fatal(`${path} is not an Ed25519 key`);
    const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    return { keyId: Buffer.from(data.keyId, 'hex'), privateKey, publicKeyRaw: Buffer.from(der.subarray(der.length - 32)) };
  } finally {
    closeSync(fd);
  }
}

/** Creates the key (0600, fsynced, then renamed into place) unless one exists. */
function initKey(/** @type {string} */ dir) {
  checkKeyDir(dir);
  try {
    lstatSync(join(dir, secretKeyFileName));
    return loadKey(dir);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'ENOENT') throw e;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const body = JSON.stringify({ format: 'ballotsafe-ed25519-v1', keyId: randomBytes(8).toString('hex'), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
  const tmp = join(dir, `${secretKeyFileName}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, secretKeyFileName));
  const dfd = openSync(dir, 'r');
  fsyncSync(dfd);
  closeSync(dfd);
  return loadKey(dir);
}

/** The signature file minisign -V accepts (prehashed "ED"); same text as the daemon's own. */
export function signatureFile(/** @type {Key} */ key, /** @type {Buffer} */ prehash, /** @type {string} */ trustedComment) {
  const sig = sign(null, prehash, key.privateKey);
  const globalSig = sign(null, Buffer.concat([sig, Buffer.from(trustedComment, 'utf8')]), key.privateKey);
  const sigBlob = Buffer.concat([Buffer.from('ED'), key.keyId, sig]);
  return `untrusted comment: ballotsafe snapshot signature, key ${keyIdHex(key.keyId)}\n${sigBlob.toString('base64')}\ntrusted comment: ${trustedComment}\n${globalSig.toString('base64')}\n`;
}

/**
 * Answers one request line. Only these exact shapes pass; nothing from the line is echoed back.
 * @param {Key} key
 * @param {Buffer} line
 */
export function answer(key, line) {
  for (const b of line) if (b < 0x20 || b > 0x7e) return { ok: false, code: 'bad-request', message: 'The request must be one line of printable ASCII.' };
  const text = line.toString('ascii');
  if (text === 'pubkey') return { ok: true, keyId: keyIdHex(key.keyId), publicKey: publicKeyFile(key) };
  const m = requestPattern.exec(text);
  if (m === null || m[1] === undefined || m[2] === undefined) return { ok: false, code: 'bad-request', message: 'Expected "pubkey" or "sign <128 hex digits> ballotsafe <comment>".' };
  const signature = signatureFile(key, Buffer.from(m[1], 'hex'), m[2]);
  log('signer.signed', { keyId: keyIdHex(key.keyId), prehash: m[1], trustedComment: m[2] });
  return { ok: true, signature };
}

/** @param {Key} key @param {import('node:net').Socket} socket */
function serveConnection(key, socket) {
  let buffered = Buffer.alloc(0);
  let done = false;
  const reply = (/** @type {object} */ obj) => {
    done = true;
    socket.end(`${JSON.stringify(obj)}\n`);
  };
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    if (done) return;
    buffered = Buffer.concat([buffered, chunk]);
    const nl = buffered.indexOf(0x0a);
    if (nl === -1 && buffered.length <= maxRequestBytes) return;
    if (nl === -1 || nl > maxRequestBytes) {
      log('signer.refused', { reason: 'request-too-long' }, 40);
      return reply({ ok: false, code: 'too-long', message: `A request is one line of at most ${maxRequestBytes} bytes.` });
    }
    const result = answer(key, buffered.subarray(0, nl));
    if (!result.ok) log('signer.refused', { reason: result.code }, 40);
    reply(result);
  });
  socket.on('end', () => {
    if (!done) reply({ ok: false, code: 'bad-request', message: 'The request ended before its newline.' });
  });
}

/** @param {Key} key @param {string | undefined} listenPath */
function serve(key, listenPath) {
  const server = createServer({ allowHalfOpen: true }, (socket) => serveConnection(key, socket));
  // More callers at once than this is never the daemon: refuse them instead of queueing work.
  server.maxConnections = maxConnections;
  server.on('error', (e) => {
    log('signer.failed', { error: e.message }, 50);
    process.exit(1);
  });
  const fromSystemd = process.env['LISTEN_PID'] === String(process.pid) && process.env['LISTEN_FDS'] === '1';
  if (fromSystemd) {
    server.listen({ fd: 3 });
  } else if (listenPath !== undefined) {
    try {
      if (lstatSync(listenPath).isSocket()) unlinkSync(listenPath);
    } catch {
      /* no stale socket */
    }
    // The socket is created 0660: the caller's group may connect, nobody else.
    const old = process.umask(0o117);
    server.listen(listenPath, () => process.umask(old));
  } else {
    throw new Fatal('no socket: run from ballotsafe-signer.socket, or give --listen PATH');
  }
  server.on('listening', () => log('signer.listening', { keyId: keyIdHex(key.keyId), socket: fromSystemd ? 'systemd' : listenPath }));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function main(/** @type {string[]} */ argv) {
  const [command, ...rest] = argv;
  /** @type {Record<string, string>} */
  const opts = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    const value = rest[i + 1];
    if (name === undefined || !['--key-dir', '--listen'].includes(name) || value === undefined) throw new Fatal(`unknown or incomplete option ${name ?? ''}`);
    opts[name.slice(2)] = value;
  }
  const dir = opts['key-dir'];
  if (dir === undefined) throw new Fatal('--key-dir DIR is required');
  if (command === 'init') process.stdout.write(publicKeyFile(initKey(dir)));
  else if (command === 'pubkey') process.stdout.write(publicKeyFile(loadKey(dir)));
  else if (command === 'serve') serve(loadKey(dir), opts['listen']);
  else throw new Fatal('usage: ballotsafe-signer.mjs init|pubkey|serve --key-dir DIR [--listen PATH]');
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof Fatal)) throw e;
    log('signer.failed', { error: e.message }, 50);
    process.stderr.write(`ballotsafe-signer: ${e.message}\n`);
    process.exit(1);
  }
}
