/** The pre-audit's evidence view (issue #20): per-contest summary and chart, duplicates, report downloads. */
import { Hono } from 'hono';
import { z } from 'zod';
import { operatorError } from '../../core/result.ts';
import { evidenceDownloadKinds } from '../../preaudit/webApi.ts';
import { EvidencePage } from '../pages/evidence.tsx';
import type { Env, RouteKit } from './kit.tsx';

const kindSchema = z.enum(evidenceDownloadKinds);

export function evidenceRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, pageContext, requireSession, sessionOf, record } = kit;

  app.get('/preaudit/evidence', requireSession, (c) => {
    const p = deps.preaudit;
    const duplicates = deps.importChecks?.list().find((x) => x.id === 'duplicates') ?? null;
    const rows = p === undefined ? null : (p.contestSummary?.() ?? null);
    return c.html(<EvidencePage page={pageContext(c)} rows={rows} duplicates={duplicates} downloadsAvailable={p?.evidenceFile !== undefined} />);
  });

  app.get('/api/preaudit/contests', requireSession, (c) => c.json({ contests: deps.preaudit?.contestSummary?.() ?? null }));

  app.get('/preaudit/evidence/download/:kind', requireSession, async (c) => {
    const kind = kindSchema.safeParse(c.req.param('kind'));
    const make = deps.preaudit?.evidenceFile?.bind(deps.preaudit);
    if (!kind.success || make === undefined) return fail(c, 404, operatorError('evidence-unknown', 'There is no such report file.', 'Pick one on the Pre-audit evidence page.'), '/preaudit/evidence');
    const file = await make(kind.data);
    if (!file.ok) return fail(c, 404, file.error, '/preaudit/evidence');
    record(sessionOf(c).user.name, 'preaudit.evidence.downloaded', { file: file.value.fileName, bytes: file.value.bytes.length });
    return c.body(new Uint8Array(file.value.bytes), 200, {
      'Content-Type': file.value.contentType,
      'Content-Disposition': `attachment; filename="${file.value.fileName}"`,
      'Cache-Control': 'no-store',
    });
  });

  return app;
}
