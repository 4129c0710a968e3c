import { operatorError, type OperatorError } from '../core/result.ts';

/**
 * Every parse failure names the file, the place in it (row, key or byte offset) and what was
 * expected, so an election worker can find the problem or hand the message to the vendor.
 */
export function parseError(
  code: string,
  file: string,
  where: string | undefined,
  expected: string,
  got?: string,
): OperatorError {
  const place = where === undefined || where === '' ? '' : ` at ${where}`;
  const found = got === undefined ? '' : `, found ${got}`;
  return operatorError(
    code,
    `${file}${place}: expected ${expected}${found}.`,
    'Re-export the file from the election management system, or set it aside; data imported earlier is kept.',
  );
}

/** Short, printable rendering of an unexpected value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'an object';
}

/** Turns an unexpected exception inside a parser into an error value (parsers never throw). */
export function internalParseError(file: string, e: unknown): OperatorError {
  const detail = e instanceof Error ? e.message : String(e);
  return operatorError('import-unreadable', `${file}: could not be read (${detail}).`, 'Check the file is complete and readable, then import it again.');
}
