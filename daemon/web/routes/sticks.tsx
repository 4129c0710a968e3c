/** Export sticks (issue #16): intakes from an air-gapped EMS, enrolling a stick, who brought it. */
import { Hono } from 'hono';
import { z } from 'zod';
import { operatorError } from '../../core/result.ts';
import { SticksPage } from '../pages/sticks.tsx';
import type { Env, RouteKit } from './kit.tsx';
import { idSchema, readBody } from './request.ts';

export function stickRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, done, sessionOf, pageContext, requireSession, requireOperator, now } = kit;

  app.get('/sticks', requireSession, async (c) =>
    c.html(<SticksPage page={pageContext(c)} intakes={deps.sticks.intakes(200)} sticks={deps.sticks.sticks()} notEnrolled={await deps.sticks.notEnrolled()} now={now()} />),
  );
  app.post('/api/sticks/enroll', requireOperator, async (c) => {
    const s = sessionOf(c);
    const body = z.object({ device: z.string().regex(/^\/dev\/[a-z0-9]{1,16}$/), ems: z.string().max(200) }).safeParse(await readBody(c));
    if (!body.success) return fail(c, 422, operatorError('stick-enroll-incomplete', 'Say which EMS this stick carries exports from.', 'Fill in the EMS name and press "Enroll as export stick".'), '/sticks');
    const r = await deps.sticks.enroll(body.data.device, body.data.ems, s.user.name);
    if (!r.ok) return fail(c, 409, r.error, '/sticks');
    return done(c, { stickId: r.value.id, ems: r.value.ems }, '/sticks');
  });
  app.get('/api/sticks', requireSession, (c) => {
    return c.json({ intakes: deps.sticks.intakes(200), sticks: deps.sticks.sticks() });
  });
  app.post('/api/sticks/:id{[0-9]{1,15}}/brought-by', requireOperator, async (c) => {
    const s = sessionOf(c);
    const id = idSchema.safeParse(c.req.param('id'));
    if (!id.success) return fail(c, 404, operatorError('stick-intake-unknown', 'There is no such intake.', 'Reload the Export sticks page.'), '/sticks');
    const body = z.object({ broughtBy: z.string().max(1000) }).safeParse(await readBody(c));
    if (!body.success) return fail(c, 422, operatorError('stick-no-name', 'Enter the name of the person who brought the stick.', 'Fill in the name and press Save.'), '/sticks');
    const r = deps.sticks.setBroughtBy(id.data, body.data.broughtBy, s.user.name);
    if (!r.ok) return fail(c, 409, r.error, '/sticks');
    return done(c, { intakeId: r.value.id, broughtBy: r.value.broughtBy }, '/sticks');
  });

  return app;
}
