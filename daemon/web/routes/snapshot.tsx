/** The Snapshot page with its End-of-day button, and the snapshot history. */
import { Hono } from 'hono';
import { z } from 'zod';
import { operatorError } from '../../core/result.ts';
import { HistoryPage } from '../pages/history.tsx';
import { SnapshotPage } from '../pages/snapshot.tsx';
import { snapshotModel } from '../views.ts';
import { type Env, notInstalled, type RouteKit } from './kit.tsx';
import { readBody } from './request.ts';

const snapshotSchema = z.object({ reason: z.enum(['end-of-day', 'operator']).default('end-of-day') });

export function snapshotRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, done, sessionOf, pageContext, requireSession, requireOperator, now } = kit;

  app.get('/snapshot', requireSession, async (c) =>
    c.html(<SnapshotPage page={pageContext(c)} model={await snapshotModel(deps, c.req.query('confirm') === '1')} confirm={c.req.query('confirm') === '1'} now={now()} />),
  );
  app.get('/api/snapshot', requireSession, async (c) => c.json(await snapshotModel(deps)));

  app.post('/api/snapshot', requireOperator, async (c) => {
    const s = sessionOf(c);
    const parsed = snapshotSchema.safeParse(await readBody(c));
    if (!parsed.success) return fail(c, 400, operatorError('snapshot-request-invalid', 'The snapshot request was not understood.', 'Reload the Snapshot page and press the button again.'), '/snapshot');
    if (deps.drives === undefined) return fail(c, 503, notInstalled('Drive management'), '/snapshot');
    // The custody workflow checks the drives, audits a refusal and starts the one job runner.
    const started = await deps.drives.startSnapshot({ reason: parsed.data.reason, actor: s.user.name });
    if (!started.ok) return fail(c, 409, started.error, '/snapshot');
    // The snapshot engine writes the one `snapshot.requested` audit entry for this run.
    return done(c, { started: true, startedAt: started.value.startedAt }, '/snapshot', 202);
  });

  app.get('/snapshots', requireSession, (c) =>
    c.html(<HistoryPage page={pageContext(c)} snapshots={deps.snapshotHistory.list(200)} custody={deps.custody?.list(1000) ?? null} now={now()} />),
  );
  app.get('/api/snapshots', requireSession, (c) => c.json({ snapshots: deps.snapshotHistory.list(200) }));

  return app;
}
