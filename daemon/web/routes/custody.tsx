/** Handing off a snapshot's two drives, the printable hand-off sheet, and the custody log. */
import { Hono } from 'hono';
import { z } from 'zod';
import { operatorError } from '../../core/result.ts';
import { CustodyPage } from '../pages/custody.tsx';
import { HandoffFormPage } from '../pages/handoff.tsx';
import { screenFormat } from '../views.ts';
import { type Env, errors, notInstalled, type RouteKit } from './kit.tsx';
import { idSchema, readBody } from './request.ts';

const destination = z.string().trim().min(1).max(120);
const seal = z.string().trim().max(60).optional();
/** The hand-off form: both destinations and the witness are required (two people see the drives leave); seal numbers when sealed. */
const handoffSchema = z.object({ destinationA: destination, destinationB: destination, witness: z.string().trim().min(1).max(120), sealA: seal, sealB: seal });

export function custodyRoutes(kit: RouteKit): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, fail, done, sessionOf, pageContext, requireSession, requireOperator, record, now, snapshotBySequence } = kit;
  const { unknownSnapshot } = errors;

  /** The custody state's answer for handing off this snapshot now (the POST is guarded again by the workflow). */
  const handoffRefusal = async (sequence: number) => {
    if (deps.custodyState === undefined) return undefined;
    const state = await deps.custodyState(screenFormat(now()));
    const newest = state.newestSnapshot?.sequence;
    if (newest !== undefined && newest !== sequence) return operatorError('handoff-not-newest', `Snapshot #${sequence} is not the newest; only snapshot #${newest} can be handed off.`, 'Use the Snapshot page.');
    const p = state.actions.handOff;
    return p.allowed ? undefined : operatorError(p.code, p.reason, p.next);
  };

  app.get('/snapshots/:sequence{[0-9]{1,9}}/handoff', requireOperator, async (c) => {
    const snapshot = snapshotBySequence(c);
    if (snapshot === undefined) return fail(c, 404, unknownSnapshot, '/snapshots');
    if (deps.handoff === undefined) return fail(c, 503, notInstalled('Recording hand-offs'), '/snapshots');
    const refusal = await handoffRefusal(snapshot.sequence);
    if (refusal !== undefined) return fail(c, 409, refusal, '/snapshot');
    const drives = deps.custodyState === undefined ? [] : (await deps.custodyState(screenFormat(now()))).drives;
    return c.html(<HandoffFormPage page={pageContext(c)} snapshot={snapshot} drives={drives} now={now()} />);
  });

  app.post('/api/snapshots/:sequence{[0-9]{1,9}}/handoff', requireOperator, async (c) => {
    const s = sessionOf(c);
    const snapshot = snapshotBySequence(c);
    if (snapshot === undefined) return fail(c, 404, unknownSnapshot, '/snapshots');
    if (deps.handoff === undefined) return fail(c, 503, notInstalled('Recording hand-offs'), '/snapshots');
    const back = `/snapshots/${snapshot.sequence}/handoff`;
    const parsed = handoffSchema.safeParse(await readBody(c));
    if (!parsed.success) {
      return fail(c, 400, operatorError('handoff-incomplete', 'Say where drive A and drive B go, and who witnesses the hand-off.', 'Fill in both destinations and the witness\'s name, then press the button again.'), back);
    }
    if (deps.snapshot.isBusy()) return fail(c, 409, operatorError('drive-busy', 'A snapshot is writing to the drives.', 'Wait until it says the drives are safe to remove.'), back);
    const witness = parsed.data.witness;
    const seals = { ...(parsed.data.sealA ? { A: parsed.data.sealA } : {}), ...(parsed.data.sealB ? { B: parsed.data.sealB } : {}) };
    const result = await deps.handoff.handOff({ sequence: snapshot.sequence, operator: s.user.name, witness, destinations: { A: parsed.data.destinationA, B: parsed.data.destinationB }, seals });
    // One audit entry per hand-off: the drive service writes `custody.recorded`; a refusal is recorded here.
    if (!result.ok) {
      record(s.user.name, 'handoff.refused', { snapshot: snapshot.sequence, witness, code: result.error.code });
      return fail(c, 409, result.error, back);
    }
    return done(c, { custodyId: result.value.custodyId, sheet: `/custody/${result.value.custodyId}/sheet` }, `/custody/${result.value.custodyId}/sheet`);
  });

  /** The drives team's printable sheet, with a Back/Print bar added for the touchscreen (hidden when printing). */
  app.get('/custody/:id{[0-9]{1,15}}/sheet', requireSession, (c) => {
    const id = idSchema.safeParse(c.req.param('id'));
    if (deps.handoff === undefined) return fail(c, 503, notInstalled('The hand-off sheet'), '/custody');
    const html = id.success ? deps.handoff.sheetHtml(id.data) : undefined;
    if (html === undefined) return fail(c, 404, operatorError('custody-unknown', 'There is no hand-off record with that number.', 'Open it from the Custody log.'), '/custody');
    const toolbar =
      '<div class="sheet-tools no-print"><a class="button secondary big" href="/custody">Back</a>' +
      '<button type="button" class="button primary big" data-print>Print</button></div>';
    const page = html
      .replace(/<\/head>/i, '<link rel="stylesheet" href="/assets/sheet-tools.css"><script src="/assets/app.js" defer></script></head>')
      .replace(/<body([^>]*)>/i, (m) => `${m}${toolbar}`);
    // The sheet carries its own <style>; allow inline styles here only, still no inline scripts.
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    return c.html(page);
  });

  app.get('/custody', requireSession, (c) => c.html(<CustodyPage page={pageContext(c)} records={deps.custody?.list(500) ?? null} now={now()} />));
  app.get('/api/custody', requireSession, (c) => {
    if (deps.custody === undefined) return fail(c, 503, notInstalled('The custody log'));
    return c.json({ records: deps.custody.list(500) });
  });

  return app;
}
