/** The UI's stylesheet and script, by fixed names only. */
import { Hono } from 'hono';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Env, errors, type RouteKit } from './kit.tsx';

const assetTypes: Record<string, string> = { 'style.css': 'text/css; charset=utf-8', 'sheet-tools.css': 'text/css; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8' };

export function assetRoutes(kit: RouteKit, assetsDir: string): Hono<Env> {
  const app = new Hono<Env>();
  const assetCache = new Map<string, string>();
  app.get('/assets/:name', async (c) => {
    const name = c.req.param('name');
    const type = assetTypes[name];
    if (type === undefined) return kit.fail(c, 404, errors.notFound);
    let text = assetCache.get(name);
    if (text === undefined) {
      text = await readFile(join(assetsDir, name), 'utf8');
      assetCache.set(name, text);
    }
    c.header('Cache-Control', 'no-cache');
    return c.body(text, 200, { 'Content-Type': type });
  });
  return app;
}
