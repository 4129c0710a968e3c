/**
 * Expected failures (drive full, drive pulled, bad file) are values, not exceptions.
 * Every failure carries a message an election worker can act on.
 */
export interface OperatorError<C extends string = string> {
  /** Stable machine-readable code, e.g. `drive-full`, `cvr-bad-json`; a module names its codes as a union (e.g. `LoginErrorCode`). */
  readonly code: C;
  /** What happened, in plain words. */
  readonly message: string;
  /** What the operator should do next. */
  readonly action?: string;
  /** The exact technical words (a path, the system's error), for the technician and the log; never in `message`, which a clerk reads. */
  readonly technician?: string;
}

export type Result<T, E = OperatorError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** The code stays literal, so a function can promise `Result<T, OperatorError<'a' | 'b'>>` and callers compare codes it can return. */
export function operatorError<const C extends string>(code: C, message: string, action?: string, technician?: string): OperatorError<C> {
  return { code, message, ...(action === undefined ? {} : { action }), ...(technician === undefined ? {} : { technician }) };
}

/** The message with its technical words appended: for the log and the command line, not for a clerk's screen. */
export function technicalText(e: OperatorError): string {
  return e.technician === undefined ? e.message : `${e.message} (${e.technician})`;
}

/** Narrows an error to one code, so the code compared is one the error type can hold. */
export function hasCode<const C extends string>(e: OperatorError, code: C): e is OperatorError<C> {
  return e.code === code;
}

/** Unwraps a Result whose failure would be a programming error. */
export function assertOk<T, E>(result: Result<T, E>): T {
  if (!result.ok) {
    throw new Error(`unexpected failure: ${JSON.stringify(result.error)}`);
  }
  return result.value;
}
