/**
 * What a command prints when something it did not expect stopped it. A full or failing disk is
 * not a programming error: the clerk gets plain words and what to do, not a stack trace. Anything
 * else is a bug: one line to report, and the stack only when asked for (BALLOTSAFE_DEBUG=1).
 */

/** SQLite's codes for "could not write to the disk" and Node's for a full or read-only disk. */
const diskFullCodes = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const diskFailingCodes = new Set(['SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'EROFS', 'EIO']);

function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

export interface FailureReport {
  readonly exitCode: number;
  readonly text: string;
}

export function describeUncaughtFailure(e: unknown, debug: boolean): FailureReport {
  const code = codeOf(e);
  // SQLite's extended codes are SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, ...
  const base = code?.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, '$1');
  const stack = debug ? `\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}` : '';
  if (code !== undefined && (diskFullCodes.has(code) || (base !== undefined && diskFullCodes.has(base)))) {
    return {
      exitCode: 1,
      text: `ballotsafe could not save its work: the appliance's data disk is full.\nWhat to do: nothing was changed. Tell the appliance administrator that the data disk is full; the web page shows the same alert to operators.${stack}\n`,
    };
  }
  if (code !== undefined && (diskFailingCodes.has(code) || (base !== undefined && diskFailingCodes.has(base)))) {
    return {
      exitCode: 1,
      text: `ballotsafe could not read or write its data on the appliance's disk (the disk may be full, read-only or failing).\nWhat to do: nothing was changed. Tell the appliance administrator; keep the drives and the EMS exports as they are.${stack}\n`,
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return {
    exitCode: 70,
    text: `ballotsafe: internal error (please report it): ${message}\n${debug ? stack.slice(1) : 'For the report, run the same command again with BALLOTSAFE_DEBUG=1 to see the details.'}\n`,
  };
}
