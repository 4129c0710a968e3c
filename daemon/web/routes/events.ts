/** Live updates for open pages (daemon/web/liveUpdates.ts). */
import { Hono } from 'hono';
import { formatBytes } from '../format.ts';
import { eventStream } from '../liveUpdates.ts';
import type { Env, RouteKit } from './kit.tsx';

export function eventRoutes(kit: RouteKit, sseCheckMs: number): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, requireSession, record } = kit;

  // Listing USB drives runs lsblk: do it at most every 5 s, shared by all open pages.
  let drivesCache: { at: number; stamp: unknown } | undefined;
  async function drivesStamp(): Promise<unknown> {
    if (deps.drives === undefined) return null;
    if (drivesCache === undefined || Date.now() - drivesCache.at > 5000) {
      const list = await deps.drives.list();
      // Free space as the Drives page shows it: on a folder drive it moves with any write to its disk,
      // and a page refreshed for a change nobody can see is noise.
      drivesCache = { at: Date.now(), stamp: list.map((d) => [d.present, d.enrolled, d.freeBytes === null ? null : formatBytes(d.freeBytes), d.lastVerifiedAt, d.ejectable]) };
    }
    return drivesCache.stamp;
  }

  app.get('/api/events', requireSession, (c) => eventStream(c, deps, c.get('sessionToken') ?? '', { checkMs: sseCheckMs, drivesStamp, record }));

  return app;
}
