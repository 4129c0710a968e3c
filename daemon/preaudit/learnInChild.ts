/**
 * Learns the ballot styles in a child process that exits when learning ends (learnChild.ts), so the
 * memory learning takes (decoded sample pages, libvips, tesseract's wasm heap: a few hundred MB on a
 * big election) goes back to the system instead of staying in the daemon. The child gets plain data
 * and sends plain data back, checked at the boundary (learnMessages.ts). A child that fails or is
 * killed (the kernel's out-of-memory killer) is a failed learning, said to the operator, never a
 * daemon crash: the pre-audit tries the pass again later.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { CodeGroup } from './damagedCodes.ts';
import type { ContestDefinition } from './layout.ts';
import type { LearnOptions, LearnResult, LearnSheet } from './learnLayouts.ts';
import { learnReply, type LearnRequest } from './learnMessages.ts';
import { compiledSibling } from './compiledSibling.ts';

export interface LearnInChildOptions extends Pick<LearnOptions, 'pagesPerStyle' | 'maxSheets' | 'onProgress' | 'signal' | 'knownStyleIds'> {
  readonly logger: Logger;
  /** Sheet key → the ballot type its CVR names. */
  readonly ballotTypes: ReadonlyMap<string, string>;
  readonly knownCodes?: readonly CodeGroup[];
}

export type LearnInChildError = OperatorError<'preaudit-stopped' | 'preaudit-learning-failed'>;

const entry = fileURLToPath(new URL('./learnChildEntry.mjs', import.meta.url));

function learningFailed(technician: string): LearnInChildError {
  return operatorError(
    'preaudit-learning-failed',
    'The pre-audit could not learn the ballot styles this time: the learning stopped before it ended.',
    'Nothing to do now: the pre-audit tries again in a minute. If this message stays, tell your technician.',
    technician,
  );
}

export function learnLayoutsInChild(sheets: readonly LearnSheet[], contests: readonly ContestDefinition[], options: LearnInChildOptions): Promise<Result<LearnResult, LearnInChildError>> {
  const { logger, signal } = options;
  if (signal?.aborted === true) return Promise.resolve(err(operatorError('preaudit-stopped', 'The pre-audit was stopped while learning the ballot styles.')));
  const request: LearnRequest = {
    kind: 'learn',
    sheets: sheets.map((s) => ({ key: s.key, files: [...s.files] })),
    contests: contests.map((c) => ({ ...c, options: [...c.options] })),
    ...(options.pagesPerStyle === undefined ? {} : { pagesPerStyle: options.pagesPerStyle }),
    ...(options.maxSheets === undefined ? {} : { maxSheets: options.maxSheets }),
    ballotTypes: [...options.ballotTypes],
    knownCodes: (options.knownCodes ?? []).map((k) => ({ ...k, codes: [...k.codes], sheets: k.sheets.map((s) => ({ ...s })) })),
    ...(options.knownStyleIds === undefined ? {} : { knownStyleIds: [...options.knownStyleIds] }),
  };
  const started = Date.now();
  return new Promise((resolve) => {
    // No flags of the daemon's own (tsx's loader, inspector): the entry registers what it needs.
    const compiled = compiledSibling(import.meta.url, 'learnChild');
    const child = fork(entry, compiled === undefined ? [] : [compiled], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const finish = (outcome: Result<LearnResult, LearnInChildError>) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      // Whatever it said last, a child that has answered has nothing more to do.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(outcome);
    };
    const onAbort = () => finish(err(operatorError('preaudit-stopped', 'The pre-audit was stopped while learning the ballot styles.')));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      logEvent(logger, LogEvent.PreauditLearnProcessFailed, { pid: child.pid ?? null, code: null, signal: null, error: e.message });
      finish(err(learningFailed(`the learning process could not be started: ${e.message}`)));
    });
    child.on('message', (message: unknown) => {
      const reply = learnReply.safeParse(message);
      if (!reply.success) {
        logEvent(logger, LogEvent.PreauditLearnProcessFailed, { pid: child.pid ?? null, code: null, signal: null, error: `reply not understood: ${reply.error.message}` });
        return finish(err(learningFailed('the learning process sent a reply that was not understood')));
      }
      const r = reply.data;
      if (r.kind === 'progress') return options.onProgress?.({ phase: r.phase, done: r.done, total: r.total });
      if (r.kind === 'failed') {
        logEvent(logger, LogEvent.PreauditLearnProcessFailed, { pid: child.pid ?? null, code: null, signal: null, error: r.message });
        return finish(err(learningFailed(r.message)));
      }
      logEvent(logger, LogEvent.PreauditLearnProcessEnded, { pid: child.pid ?? 0, ms: Date.now() - started, peakRssMb: r.peakRssMb });
      finish(ok(r.result));
    });
    child.on('exit', (code, killedBy) => {
      if (settled) return;
      logEvent(logger, LogEvent.PreauditLearnProcessFailed, { pid: child.pid ?? null, code, signal: killedBy, error: 'it exited without an answer' });
      finish(err(learningFailed(killedBy !== null ? `the learning process was killed (${killedBy})` : `the learning process exited with code ${code ?? '?'} without an answer`)));
    });
    child.send(request, (e) => {
      if (e !== null) finish(err(learningFailed(`the learning process could not be given its work: ${e.message}`)));
    });
  });
}
