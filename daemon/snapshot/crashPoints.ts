/**
 * Test hook for the kill -9 tests: with BALLOTSAFE_TEST_CRASH_AT_STEP=N the process SIGKILLs itself
 * at the N-th crash point it passes (a step boundary in the write order). Unset: a counter only.
 * BALLOTSAFE_TEST_CRASH_TRACE=1 prints each step to stderr (to size the seeded range).
 */
const target = Number(process.env['BALLOTSAFE_TEST_CRASH_AT_STEP'] ?? '0');
const trace = process.env['BALLOTSAFE_TEST_CRASH_TRACE'] === '1';
let steps = 0;

export function crashPoint(label: string): void {
  steps++;
  if (trace) process.stderr.write(`crash-point ${steps} ${label}\n`);
  if (target > 0 && steps === target) process.kill(process.pid, 'SIGKILL');
}

export function crashPointsPassed(): number {
  return steps;
}
