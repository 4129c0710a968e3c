/**
 * Expected failures (drive full, drive pulled, bad file) are values, not exceptions.
 * Every failure carries a message an election worker can act on.
 */
export interface OperatorError {
  /** Stable machine-readable code, e.g. `drive-full`, `cvr-bad-json`. */
  readonly code: string;
  /** What happened, in plain words. */
  readonly message: string;
  /** What the operator should do next. */
  readonly action?: string;
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

export function operatorError(code: string, message: string, action?: string): OperatorError {
  return action === undefined ? { code, message } : { code, message, action };
}

/** Unwraps a Result whose failure would be a programming error. */
export function assertOk<T, E>(result: Result<T, E>): T {
  if (!result.ok) {
    throw new Error(`unexpected failure: ${JSON.stringify(result.error)}`);
  }
  return result.value;
}
