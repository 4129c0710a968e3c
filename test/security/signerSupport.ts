// Runs the real signer script (daemon/signer/ballotsafe-signer.mjs) as a separate process for the
// security tests: its own key folder (0700), a socket in a throwaway folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const signerScript = join(repo, 'daemon', 'signer', 'ballotsafe-signer.mjs');

export interface RunningSigner {
  readonly socket: string;
  readonly keyDir: string;
  /** The minisign public key file the signer printed at init. */
  readonly publicKeyFile: string;
  readonly child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** `init` then `serve --listen`; `runAs` prefixes the command (e.g. setpriv as another user). */
export async function startSigner(base: string, options: { runAs?: readonly string[]; script?: string; socket?: string } = {}): Promise<RunningSigner> {
  const keyDir = join(base, 'signer-keys');
  if (!existsSync(keyDir)) mkdirSync(keyDir, { mode: 0o700 });
  chmodSync(keyDir, 0o700);
  const script = options.script ?? signerScript;
  const prefix = options.runAs ?? [];
  const cmd = (args: string[]) => [...prefix, process.execPath, script, ...args];
  const [initCmd, ...initArgs] = cmd(['init', '--key-dir', keyDir]);
  const init = spawnSync(initCmd ?? '', initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`signer init failed: ${init.stderr}`);
  const socket = options.socket ?? join(base, 'signer.sock');
  const [serveCmd, ...serveArgs] = cmd(['serve', '--key-dir', keyDir, '--listen', socket]);
  const child = spawn(serveCmd ?? '', serveArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  const deadline = Date.now() + 15_000;
  while (!err.includes('"signer.listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`signer did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    keyDir,
    publicKeyFile: init.stdout,
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** Sends raw bytes, returns everything the server answered before closing (or '' on reset). */
export function rawRequest(socketPath: string, bytes: Buffer | string, opts: { end?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolvePromise) => {
    let data = '';
    const s = connect(socketPath);
    const timer = setTimeout(() => {
      s.destroy();
      resolvePromise(`${data}<timeout>`);
    }, opts.timeoutMs ?? 10_000);
    s.setEncoding('utf8');
    s.on('data', (c: string) => (data += c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolvePromise(data);
    });
    s.on('connect', () => {
      s.write(bytes);
      if (opts.end !== false) s.end();
    });
  });
}

/** A copy of the signer script where another user can read it (it needs nothing else). */
export function copySignerScript(dir: string): string {
  const dest = join(dir, 'ballotsafe-signer.mjs');
  copyFileSync(signerScript, dest);
  chmodSync(dest, 0o755);
  return dest;
}

export function keyLine(publicKeyFile: string): string {
  return publicKeyFile.split('\n')[1] ?? '';
}

export function read(p: string): string {
  return readFileSync(p, 'utf8');
}
