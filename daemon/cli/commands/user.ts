import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { configFromArgs } from '../coreCommands.ts';
import type { CliCommand } from '../command.ts';
import { dataPaths } from '../../core/config.ts';
import { openStateDatabase, type Db } from '../../runtime/stateDatabase.ts';
import { silentLogger } from '../../core/log/logger.ts';
import { AuditLog } from '../../core/state/auditLog.ts';
import { Accounts, roles, type Role } from '../../web/accounts.ts';
import { diskFullError, isDiskFull } from '../../web/diskFull.ts';

/** Where the command reads and writes; tests pass their own streams. */
export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const processIo: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Reads the password: first line of stdin when piped, else a prompt (typed twice, not echoed). */
async function readPassword(io: CommandIo): Promise<string | undefined> {
  if (io.stdin.isTTY !== true) {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    const first = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
    return first === undefined || first === '' ? undefined : first;
  }
  const ask = async (question: string): Promise<string> => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) io.stdout.write(chunk.toString());
        callback();
      },
    });
    const rl = createInterface({ input: io.stdin, output, terminal: true });
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = true;
    const value = await answer;
    rl.close();
    io.stdout.write('\n');
    return value;
  };
  const first = await ask('Password: ');
  const second = await ask('Same password again: ');
  if (first !== second) {
    io.stderr.write('The two passwords differ. Run the command again and type the same password twice.\n');
    return undefined;
  }
  return first;
}

function parseRole(value: string | undefined): Role | undefined {
  return roles.find((r) => r === value);
}

const usage = [
  'ballotsafe user add <name> --role operator|observer [--config <file>]   (password from stdin, or asked for)',
  'ballotsafe user passwd <name> [--config <file>]',
  'ballotsafe user list [--config <file>]',
  'ballotsafe user disable <name> [--config <file>]   (no more logins; open sessions end)',
  'ballotsafe user enable <name> [--config <file>]',
].join('\n  ');

export function userCommand(io: CommandIo = processIo): CliCommand {
  return {
    name: 'user',
    summary: 'Manage web UI accounts: add, passwd (set a new password), list, disable, enable',
    usage,
    async run(argv) {
      let parsed;
      try {
        parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { config: { type: 'string' }, role: { type: 'string' } } });
      } catch (e) {
        io.stderr.write(`${(e as Error).message}\nUsage:\n  ${usage}\n`);
        return 2;
      }
      const [action, name] = parsed.positionals;
      if (action !== 'add' && action !== 'passwd' && action !== 'list' && action !== 'disable' && action !== 'enable') {
        io.stderr.write(`Say what to do with users.\nUsage:\n  ${usage}\n`);
        return 2;
      }
      if (action !== 'list' && name === undefined) {
        io.stderr.write(`Name the user.\nUsage:\n  ${usage}\n`);
        return 2;
      }
      const role = parseRole(parsed.values.role);
      if (action === 'add' && role === undefined) {
        io.stderr.write('Give the role with --role operator (may act) or --role observer (read-only).\n');
        return 2;
      }
      const config = configFromArgs(parsed.values.config);
      if (config === undefined) return 1;
      const diskFull = (cause: unknown) => {
        const e = diskFullError('the change to the users was not saved');
        io.stderr.write(`${e.message}\n${e.action === undefined ? '' : `What to do: ${e.action}\n`}`);
        // The details for a report, only when asked for (as for any other failure of a command).
        if (process.env.BALLOTSAFE_DEBUG === '1' && cause instanceof Error) io.stderr.write(`${cause.stack ?? cause.message}\n`);
        return 1;
      };
      let db: Db;
      try {
        db = openStateDatabase(dataPaths(config).database);
      } catch (e) {
        if (isDiskFull(e)) return diskFull(e);
        throw e;
      }
      try {
        const accounts = new Accounts(db);
        if (action === 'list') {
          for (const u of accounts.listUsers()) io.stdout.write(`${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}\n`);
          return 0;
        }
        const actor = process.env['SUDO_USER'] ?? process.env['USER'] ?? 'cli';
        if (action === 'disable' || action === 'enable') {
          const result = accounts.setDisabled(name ?? '', action === 'disable');
          if (!result.ok) {
            io.stderr.write(`${result.error.message}\n${result.error.action ?? ''}\n`);
            return 1;
          }
          new AuditLog(db, silentLogger()).record(actor, action === 'disable' ? 'user.disabled' : 'user.enabled', { name: result.value.name, role: result.value.role });
          io.stdout.write(action === 'disable' ? `User "${result.value.name}" is switched off: they cannot log in, and their open sessions were ended.\n` : `User "${result.value.name}" may log in again.\n`);
          return 0;
        }
        const password = await readPassword(io);
        if (password === undefined) {
          io.stderr.write('No password given. Pipe it on stdin or type it at the prompt.\n');
          return 1;
        }
        const result = action === 'add' && role !== undefined ? await accounts.addUser(name ?? '', role, password) : await accounts.setPassword(name ?? '', password);
        if (!result.ok) {
          io.stderr.write(`${result.error.message}\n${result.error.action ?? ''}\n`);
          return 1;
        }
        new AuditLog(db, silentLogger()).record(actor, action === 'add' ? 'user.added' : 'user.password-set', { name: result.value.name, role: result.value.role });
        io.stdout.write(action === 'add' ? `User "${result.value.name}" (${result.value.role}) created.\n` : `New password set for "${result.value.name}"; their open sessions were ended.\n`);
        return 0;
      } catch (e) {
        if (isDiskFull(e)) return diskFull(e);
        throw e;
      } finally {
        db.close();
      }
    },
  };
}

export const webCommands: readonly CliCommand[] = [userCommand()];
