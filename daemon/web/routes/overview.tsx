/** The Overview page: is everything captured and safe, and what to do next. */
import { Hono } from 'hono';
import { OverviewPage } from '../pages/overview.tsx';
import { overviewModel } from '../views.ts';
import type { Env, RouteKit } from './kit.tsx';

export function overviewRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, pageContext, requireSession, now } = kit;

  app.get('/', requireSession, async (c) => c.html(<OverviewPage page={pageContext(c)} model={await overviewModel(deps)} now={now()} />));
  app.get('/api/overview', requireSession, async (c) => c.json(await overviewModel(deps)));

  return app;
}
