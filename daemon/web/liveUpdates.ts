import type { AuditAction } from '../core/state/auditActions.ts';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WebDeps } from './deps.ts';
import { dataDiskProblem } from './diskFull.ts';

/**
 * The pages' live-update stream (/api/events): snapshot progress as it happens, "changed" when
 * anything a page shows has changed, "logout" when the session has ended (logged out elsewhere,
 * switched off, or idle). Watching is not use: the stream never extends a session.
 */
export interface EventStreamOptions {
  /** How often to look for changed state (ms). */
  readonly checkMs: number;
  /** The drives' part of the state, cached by the app (listing drives runs lsblk). */
  readonly drivesStamp: () => Promise<unknown>;
  readonly record: (actor: string, action: AuditAction, details?: Record<string, unknown>) => void;
}

async function stateStamp(deps: WebDeps, drivesStamp: () => Promise<unknown>): Promise<string> {
  // The catalog's part comes from the one change feed (it moves with every capture, change or disappearance).
  const catalog = deps.changes.current().catalog;
  const open = deps.alerts.open();
  const roots = deps.roots.roots().map((r) => r.state);
  const lastSnapshot = deps.snapshotHistory.list(1)[0];
  const last = lastSnapshot === undefined ? null : [lastSnapshot.sequence, lastSnapshot.state];
  const drives = await drivesStamp();
  const preaudit = deps.preaudit?.status() ?? null;
  const diskFull = dataDiskProblem(deps.config.dataDir, deps.config.capture.minFreeBytes) !== undefined;
  return JSON.stringify([diskFull, deps.snapshot.current().state, catalog, open.length, open[0]?.id ?? null, roots, last, drives, preaudit?.imagesDone, preaudit?.disagreements]);
}

export function eventStream(c: Context, deps: WebDeps, token: string, options: EventStreamOptions): Response | Promise<Response> {
  return streamSSE(c, async (stream) => {
    let snapshotDirty = false;
    let open = true;
    const unsubscribe = deps.snapshot.onChange(() => {
      snapshotDirty = true;
    });
    stream.onAbort(() => {
      open = false;
      unsubscribe();
    });
    let lastStamp = await stateStamp(deps, options.drivesStamp);
    let lastCheck = Date.now();
    let lastPing = Date.now();
    await stream.writeSSE({ event: 'hello', data: JSON.stringify({ snapshot: deps.snapshot.current() }) });
    try {
      while (open) {
        if (snapshotDirty) {
          snapshotDirty = false;
          await stream.writeSSE({ event: 'snapshot', data: JSON.stringify(deps.snapshot.current()) });
        }
        if (Date.now() - lastCheck >= options.checkMs) {
          lastCheck = Date.now();
          const still = deps.accounts.sessionState(token, { touch: false });
          if (still.kind === 'idle-ended') options.record(still.user.name, 'web.session.idle-ended', { stream: true });
          if (still.kind !== 'active') {
            await stream.writeSSE({ event: 'logout', data: '{}' });
            break;
          }
          const stamp = await stateStamp(deps, options.drivesStamp);
          if (stamp !== lastStamp) {
            lastStamp = stamp;
            await stream.writeSSE({ event: 'changed', data: '{}' });
          }
        }
        if (Date.now() - lastPing >= 15_000) {
          lastPing = Date.now();
          await stream.write(': ping\n\n');
        }
        await stream.sleep(200);
      }
    } finally {
      unsubscribe();
    }
  });
}
