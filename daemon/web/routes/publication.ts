/** The publication bundle (issue #16): hashes and counts only, signed; anyone logged in may download it. */
import { Hono } from 'hono';
import { type Env, errors, type RouteKit } from './kit.tsx';

export function publicationRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, sessionOf, requireSession, record, snapshotBySequence } = kit;
  const { unknownSnapshot } = errors;

  app.get('/snapshots/:sequence{[0-9]{1,9}}/publication.zip', requireSession, async (c) => {
    const snapshot = snapshotBySequence(c);
    if (snapshot === undefined) return fail(c, 404, unknownSnapshot, '/snapshots');
    const made = await deps.publication.zip(snapshot.sequence);
    if (!made.ok) return fail(c, 409, made.error, '/snapshots');
    record(sessionOf(c).user.name, 'publication.downloaded', { snapshot: snapshot.sequence, rootHash: snapshot.rootHash });
    return c.body(new Uint8Array(made.value.content), 200, { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${made.value.fileName}"` });
  });

  return app;
}
