/** The Pre-audit page: checks, disagreements, styles mapped by a person, and the ballot images they show. */
import { Hono, type Context } from 'hono';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { LogEvent } from '../../core/log/events.ts';
import { logEvent } from '../../core/log/logger.ts';
import { operatorError } from '../../core/result.ts';
import { ballotImageForBrowser } from '../ballotImage.ts';
import type { HandAssignment } from '../deps.ts';
import { DisagreementPage, PreauditPage } from '../pages/preaudit.tsx';
import { styleIdSchema } from './mapStyle.tsx';
import type { Env, RouteKit } from './kit.tsx';
import { idSchema, readBody } from './request.ts';

// A style the OCR matcher could not map, mapped by a person: the form's fields.
const mappingField = /^t\.(front|back)\.(\d{1,4})\.(\d{1,4})$/;
const mappingValue = z.union([z.literal(''), z.literal('none'), z.string().max(400).regex(/^[^|]+\|[^|]+$/)]);

export function preauditRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, done, sessionOf, pageContext, requireSession, requireOperator, record, now } = kit;

  app.get('/preaudit', requireSession, (c) => {
    const styles = deps.preaudit?.styles() ?? null;
    // After a hand mapping is saved: that style, to say so.
    const mapped = c.req.query('mapped');
    const justMapped = mapped === undefined ? undefined : styles?.find((st) => st.styleId === mapped && st.mappedBy !== null);
    return c.html(
      <PreauditPage
        page={pageContext(c)}
        checks={deps.importChecks?.list() ?? null}
        status={deps.preaudit?.status() ?? null}
        disagreements={deps.preaudit?.disagreements(500) ?? null}
        styles={styles}
        now={now()}
        justMapped={justMapped}
      />,
    );
  });
  app.get('/api/preaudit', requireSession, (c) =>
    c.json({
      checks: deps.importChecks?.list() ?? null,
      status: deps.preaudit?.status() ?? null,
      disagreements: deps.preaudit?.disagreements(500) ?? null,
      styles: deps.preaudit?.styles() ?? null,
    }),
  );
  // A style the OCR matcher could not map, mapped by a person: saving it (the form's pages: mapStyle.tsx).
  app.post('/api/preaudit/styles/:styleId/mapping', requireOperator, async (c) => {
    const s = sessionOf(c);
    const id = styleIdSchema.safeParse(c.req.param('styleId'));
    if (!id.success || deps.preaudit === undefined) return fail(c, 404, operatorError('style-not-waiting', 'That ballot style is not waiting to be mapped.', 'Go back to the Pre-audit page.'), '/preaudit');
    const back = `/preaudit/styles/${encodeURIComponent(id.data)}/map`;
    const assignments: HandAssignment[] = [];
    for (const [field, raw] of Object.entries(await readBody(c))) {
      const at = mappingField.exec(field);
      if (at === null) continue; // _csrf and anything else
      const value = mappingValue.safeParse(raw);
      if (!value.success) return fail(c, 400, operatorError('mapping-invalid', 'One of the choices was not understood.', 'Reload the mapping page and choose again.'), back);
      if (value.data === '') continue; // left unchosen: the service names how many
      const [contestId = '', optionId = ''] = value.data === 'none' ? [] : value.data.split('|');
      assignments.push({ side: at[1] as 'front' | 'back', column: Number(at[2]), row: Number(at[3]), choice: value.data === 'none' ? null : { contestId, optionId } });
    }
    const printed = deps.preaudit.styleMapping(id.data)?.printed;
    const result = deps.preaudit.mapStyle(id.data, assignments, s.user.name);
    record(s.user.name, 'preaudit.style.mapped', {
      style: id.data,
      ...(printed === undefined ? {} : { printed }),
      ok: result.ok,
      ...(result.ok ? { targets: result.value.targets, sheetsToRead: result.value.sheetsToRead } : { code: result.error.code }),
    });
    if (!result.ok) return fail(c, 409, result.error, back);
    // The Pre-audit page then says what was saved (PreauditPage's justMapped).
    return done(c, { style: id.data, targets: result.value.targets, sheetsToRead: result.value.sheetsToRead }, `/preaudit?mapped=${encodeURIComponent(id.data)}`);
  });

  function disagreement(c: Context<Env>) {
    const id = idSchema.safeParse(c.req.param('id'));
    return id.success ? deps.preaudit?.disagreement(id.data) : undefined;
  }
  app.get('/preaudit/disagreements/:id{[0-9]{1,15}}', requireSession, (c) => {
    const d = disagreement(c);
    if (d === undefined) return fail(c, 404, operatorError('disagreement-unknown', 'There is no such disagreement.', 'Go back to the Pre-audit page.'), '/preaudit');
    return c.html(<DisagreementPage page={pageContext(c)} d={d} />);
  });
  app.get('/api/preaudit/disagreements/:id{[0-9]{1,15}}', requireSession, (c) => {
    const d = disagreement(c);
    if (d === undefined) return fail(c, 404, operatorError('disagreement-unknown', 'There is no such disagreement.', 'Go back to the Pre-audit page.'));
    return c.json({ disagreement: d });
  });

  // ---- ballot images: catalog objects by numeric id only -----------------------------------------
  app.get('/api/images/:id{[0-9]{1,15}}', requireSession, async (c) => {
    const id = idSchema.safeParse(c.req.param('id'));
    const object = id.success ? deps.catalog.object(id.data) : undefined;
    // A sheet inside a captured ES&S export zip is shown from the zip, by its member's name.
    const member = c.req.query('member');
    const shown = member === undefined ? object?.kind === 'ballot-image' : object !== undefined && /\.zip$/i.test(object.relPath) && /^[^\u0000]{1,1000}$/.test(member);
    if (object === undefined || !shown) {
      return fail(c, 404, operatorError('image-unknown', 'There is no ballot image with that number.', 'Open the ballot from the Pre-audit page.'));
    }
    if (!existsSync(object.vaultPath)) {
      return fail(c, 404, operatorError('image-missing-from-vault', `The stored copy of ${object.rootLabel}:${object.relPath} is missing from the vault.`, 'Tell the supervisor now: the vault may be damaged. The drives still hold their copies.'));
    }
    const pageParam = c.req.query('page') ?? '0';
    if (!/^[0-9]{1,2}$/.test(pageParam)) return fail(c, 404, operatorError('image-page-unknown', 'There is no such page in this image.', 'Open the ballot from the Pre-audit page.'));
    const image = await ballotImageForBrowser(object, Number(pageParam), undefined, member);
    if (!image.ok) {
      const status = image.error.code === 'image-page-unknown' ? 404 : image.error.code === 'image-too-large' ? 422 : 500;
      if (status !== 404) logEvent(deps.logger, LogEvent.WebImageRefused, { imageId: object.id, code: image.error.code }, 'warn');
      return fail(c, status, image.error);
    }
    c.header('Cache-Control', 'private, max-age=3600'); // vault objects never change
    return c.body(image.value.bytes, 200, { 'Content-Type': image.value.contentType });
  });

  return app;
}
