import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log/logger.ts';
import { err, operatorError } from '../core/result.ts';
import type { SnapshotService } from '../snapshot/api.ts';
import { SnapshotJobs } from './snapshotJobs.ts';
import { verdict } from '../web/views.ts';

const request = { reason: 'end-of-day' as const, actor: 'pat', drives: [] };
const noAlerts = { total: 0, critical: 0, warning: 0, info: 0 };

describe('SnapshotJobs', () => {
  it('turns an engine crash into a failed run that says what to do', async () => {
    const engine: SnapshotService = { isBusy: () => false, run: async () => Promise.reject(new Error('boom')) };
    const jobs = new SnapshotJobs(engine, silentLogger());
    const seen: string[] = [];
    jobs.onChange((v) => seen.push(v.state));
    const r = await jobs.run(request);
    expect(r.ok).toBe(false);
    expect(seen).toEqual(['running', 'failed']);
    expect(jobs.current().error?.action).toContain('technical support');
    expect(jobs.isBusy()).toBe(false);
  });

  it('refuses a second start while one runs, and a busy engine elsewhere does not turn the verdict red', async () => {
    let release: () => void = () => undefined;
    const engine: SnapshotService = {
      isBusy: () => false,
      run: () => new Promise((resolve) => (release = () => resolve(err(operatorError('snapshot-busy', 'A snapshot is already running (process 42).'))))),
    };
    const jobs = new SnapshotJobs(engine, silentLogger());
    expect(jobs.start(request).ok).toBe(true);
    const second = jobs.start(request);
    expect(second.ok ? '' : second.error.code).toBe('snapshot-busy');
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(jobs.current().state).toBe('failed');
    expect(verdict([], noAlerts, null, jobs.current(), { files: 0, bytes: 0 }).ok).toBe(true);
  });
});
