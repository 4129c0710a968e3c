/**
 * The hand-mapping form's pages (issue #20): a part of the style's targets at a time, then the
 * list of what will be saved. Every page is a POST of the choices so far (the form carries them;
 * nothing is kept on the appliance until the person saves, through
 * POST /api/preaudit/styles/:styleId/mapping in routes/preaudit.tsx).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { operatorError } from '../../core/result.ts';
import type { StyleMappingForm } from '../deps.ts';
import { choicesFromBody, initialChoices, type MappingChoices, mappingParts } from '../mapSteps.ts';
import { MapPartPage, MapReviewPage } from '../pages/mapStyle.tsx';
import type { Env, RouteKit } from './kit.tsx';
import { readBody } from './request.ts';

export const styleIdSchema = z.string().min(1).max(200).regex(/^[A-Za-z0-9:/_.-]+$/);
const goSchema = z.union([z.enum(['next', 'back', 'filter', 'clear', 'review']), z.string().regex(/^part-\d{1,4}$/)]);

export function mapStyleRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, pageContext, requireOperator } = kit;

  function waitingForm(c: Context<Env>): StyleMappingForm | undefined {
    const id = styleIdSchema.safeParse(c.req.param('styleId'));
    return id.success ? deps.preaudit?.styleMapping(id.data) : undefined;
  }
  const notWaiting = operatorError('style-not-waiting', 'That ballot style is not waiting to be mapped.', 'Go back to the Pre-audit page: it may have been mapped already.');

  function partPage(c: Context<Env>, form: StyleMappingForm, index: number, choices: MappingChoices, search: string) {
    const parts = mappingParts(form.targets, form.contestsAcross === true);
    const part = parts[Math.max(0, Math.min(parts.length - 1, index))];
    if (part === undefined) return fail(c, 404, operatorError('style-no-targets', 'This ballot style has no targets to map.', 'Go back to the Pre-audit page and tell the supervisor.'), '/preaudit');
    return c.html(<MapPartPage page={pageContext(c)} form={form} part={part} parts={parts.length} choices={choices} search={search.slice(0, 100)} />);
  }

  app.get('/preaudit/styles/:styleId/map', requireOperator, (c) => {
    const form = waitingForm(c);
    if (form === undefined) return fail(c, 404, notWaiting, '/preaudit');
    return partPage(c, form, 0, initialChoices(form), '');
  });

  // From part to part, and to the list of what will be saved.
  app.post('/preaudit/styles/:styleId/map', requireOperator, async (c) => {
    const form = waitingForm(c);
    if (form === undefined) return fail(c, 404, notWaiting, '/preaudit');
    const body = await readBody(c);
    const choices = choicesFromBody(form, body);
    const go = goSchema.safeParse(body['go']);
    const at = Number(typeof body['part'] === 'string' && /^\d{1,4}$/.test(body['part']) ? body['part'] : '0');
    const search = typeof body['q'] === 'string' ? body['q'] : '';
    const step = go.success ? go.data : 'next';
    if (step === 'review') return c.html(<MapReviewPage page={pageContext(c)} form={form} parts={mappingParts(form.targets, form.contestsAcross === true)} choices={choices} />);
    if (step === 'filter') return partPage(c, form, at, choices, search);
    if (step === 'clear') return partPage(c, form, at, choices, '');
    if (step === 'back') return partPage(c, form, at - 1, choices, '');
    if (step === 'next') return partPage(c, form, at + 1, choices, '');
    return partPage(c, form, Number(step.slice('part-'.length)), choices, '');
  });

  return app;
}
