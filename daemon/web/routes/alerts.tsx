/** Alerts (and acknowledging one) and the audit log. */
import { Hono } from 'hono';
import { operatorError } from '../../core/result.ts';
import { AlertsPage } from '../pages/alerts.tsx';
import { AuditPage } from '../pages/audit.tsx';
import type { Env, RouteKit } from './kit.tsx';
import { idSchema } from './request.ts';

export function alertRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, done, sessionOf, pageContext, requireSession, requireOperator, record, now } = kit;

  app.get('/alerts', requireSession, (c) => {
    const all = deps.alerts.all(500);
    return c.html(<AlertsPage page={pageContext(c)} open={deps.alerts.open()} acknowledged={all.filter((a) => a.acknowledged_at !== null)} now={now()} />);
  });
  app.get('/api/alerts', requireSession, (c) => c.json({ open: deps.alerts.open(), all: deps.alerts.all(500) }));
  app.post('/api/alerts/:id/ack', requireOperator, (c) => {
    const s = sessionOf(c);
    const id = idSchema.safeParse(c.req.param('id'));
    if (!id.success) return fail(c, 404, operatorError('alert-unknown', 'There is no such alert.', 'Reload the Alerts page.'), '/alerts');
    const alert = deps.alerts.all(100_000).find((a) => a.id === id.data);
    if (alert === undefined) return fail(c, 404, operatorError('alert-unknown', 'There is no such alert.', 'Reload the Alerts page.'), '/alerts');
    if (!deps.alerts.acknowledge(id.data, s.user.name)) {
      return fail(c, 409, operatorError('alert-already-acknowledged', `This alert was already acknowledged by ${alert.acknowledged_by ?? 'someone'}.`, 'Nothing more to do; reload the Alerts page.'), '/alerts');
    }
    record(s.user.name, 'alert.acknowledged', { alertId: id.data, code: alert.code, subject: alert.subject });
    return done(c, { acknowledged: id.data, by: s.user.name }, '/alerts');
  });

  app.get('/audit', requireSession, (c) => c.html(<AuditPage page={pageContext(c)} entries={deps.audit.recent(500)} now={now()} />));
  app.get('/api/audit', requireSession, (c) => c.json({ entries: deps.audit.recent(500) }));

  return app;
}
