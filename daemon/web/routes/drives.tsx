/** The Drives page: each drive's state, ejecting one, and enrolling a new one (issue #15: a kiosk never needs a terminal). */
import { Hono } from 'hono';
import { z } from 'zod';
import { operatorError } from '../../core/result.ts';
import { eraseConfirmed } from '../enrollment.ts';
import { DrivesPage } from '../pages/drives.tsx';
import { EnrollPage } from '../pages/enroll.tsx';
import { type Env, notInstalled, type RouteKit } from './kit.tsx';
import { readBody } from './request.ts';

const enrollSchema = z.object({ target: z.string().min(1).max(4096), role: z.enum(['A', 'B']), confirmErase: z.string().max(40).optional() });

export function driveRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, done, sessionOf, pageContext, requireSession, requireOperator, record, now } = kit;

  app.get('/drives', requireSession, async (c) =>
    c.html(<DrivesPage page={pageContext(c)} drives={deps.drives === undefined ? null : await deps.drives.list()} busy={deps.snapshot.isBusy()} now={now()} />),
  );
  app.get('/api/drives', requireSession, async (c) => {
    if (deps.drives === undefined) return fail(c, 503, notInstalled('Drive management'));
    return c.json({ drives: await deps.drives.list() });
  });
  app.post('/api/drives/:role/eject', requireOperator, async (c) => {
    const s = sessionOf(c);
    const role = c.req.param('role');
    if (role !== 'A' && role !== 'B') return fail(c, 404, operatorError('drive-unknown', `There is no drive "${role}".`, 'Use drive A or drive B.'), '/drives');
    if (deps.drives === undefined) return fail(c, 503, notInstalled('Drive management'), '/drives');
    if (deps.snapshot.isBusy()) {
      return fail(c, 409, operatorError('drive-busy', `Drive ${role} is being written by a snapshot.`, 'Wait until the Snapshot page says both drives are safe to remove.'), '/drives');
    }
    const body = await readBody(c);
    const confirmed = z.object({ confirm: z.enum(['1', 'yes']) }).safeParse(body).success;
    const result = await deps.drives.eject(role, s.user.name, confirmed);
    record(s.user.name, 'drive.eject', { role, ok: result.ok, ...(result.ok ? {} : { code: result.error.code }) });
    if (!result.ok) return fail(c, 409, result.error, '/drives');
    return done(c, { ejected: role, message: result.value.message }, '/drives');
  });

  app.get('/drives/enroll', requireOperator, async (c) => {
    if (deps.enrollment === undefined) return fail(c, 503, notInstalled('Enrolling drives'), '/drives');
    const list = await deps.enrollment.unenrolled();
    if (!list.ok) return fail(c, 409, list.error, '/drives');
    return c.html(<EnrollPage page={pageContext(c)} drives={list.value} />);
  });
  app.post('/api/drives/enroll', requireOperator, async (c) => {
    const s = sessionOf(c);
    if (deps.enrollment === undefined) return fail(c, 503, notInstalled('Enrolling drives'), '/drives');
    if (deps.snapshot.isBusy()) return fail(c, 409, operatorError('drive-busy', 'A snapshot is writing to the drives.', 'Wait until it has finished, then enroll the drive.'), '/drives/enroll');
    const parsed = enrollSchema.safeParse(await readBody(c));
    if (!parsed.success) return fail(c, 400, operatorError('enroll-incomplete', 'Choose whether this drive becomes drive A or drive B.', 'Pick A or B and press Enroll again.'), '/drives/enroll');
    const list = await deps.enrollment.unenrolled();
    if (!list.ok) return fail(c, 409, list.error, '/drives/enroll');
    const drive = list.value.find((d) => d.target === parsed.data.target);
    if (drive === undefined) return fail(c, 409, operatorError('drive-gone', 'That drive is no longer plugged in, or it is already enrolled.', 'Plug it in again, wait a few seconds and reload the page.'), '/drives/enroll');
    const typed = parsed.data.confirmErase ?? '';
    const format = typed !== '';
    // Erasing only after the operator typed the drive's label or ERASE: a slip of the finger erases nothing.
    if (format && (!drive.canFormat || !eraseConfirmed(typed, drive.label))) {
      record(s.user.name, 'drive.enroll.refused', { target: drive.target, role: parsed.data.role, code: 'erase-not-confirmed' });
      return fail(c, 400, operatorError('erase-not-confirmed', drive.canFormat ? 'The drive was not erased: the word typed is not its label or ERASE.' : 'This drive cannot be erased from here.', drive.canFormat ? 'Type the label exactly as shown, or ERASE, to erase it; leave the box empty to keep what is on it.' : 'Leave the box empty.'), '/drives/enroll');
    }
    const result = await deps.enrollment.enroll({ target: drive.target, role: parsed.data.role, format, actor: s.user.name });
    // The drive service writes the one `drive.enrolled` (and `drive.formatted`) entry; a refusal is recorded here.
    if (!result.ok) {
      record(s.user.name, 'drive.enroll.refused', { target: drive.target, role: parsed.data.role, code: result.error.code });
      return fail(c, 409, result.error, '/drives/enroll');
    }
    return done(c, { enrolled: result.value.role }, '/drives');
  });

  return app;
}
