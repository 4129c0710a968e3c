import type { FC } from 'hono/jsx';
import type { SnapshotRecord } from '../deps.ts';
import { formatCount, formatTime, groupedHash } from '../format.ts';
import { Csrf, Layout, type PageContext } from './layout.tsx';

/** The hand-off form: where each drive goes and who witnesses it; submitting ejects both drives. */
export const HandoffFormPage: FC<{ page: PageContext; snapshot: SnapshotRecord; now: Date }> = ({ page, snapshot, now }) => (
  <Layout page={page} active="snapshots" title={`Hand off the drives of snapshot #${snapshot.sequence}`} live={false}>
    <section class="panel">
      <p>
        {formatCount(snapshot.files)} files, finished {formatTime(snapshot.finishedAt, now)}.
      </p>
      <p class="hash">Root hash: {groupedHash(snapshot.rootHash)}</p>
    </section>
    <form method="post" action={`/api/snapshots/${snapshot.sequence}/handoff`} class="panel form">
      <Csrf token={page.csrfToken} />
      <label>
        Drive A goes to
        <input name="destinationA" required maxlength={120} placeholder="e.g. Clerk's office safe" />
      </label>
      <label>
        Drive B goes to
        <input name="destinationB" required maxlength={120} placeholder="e.g. Sheriff's evidence room" />
      </label>
      <label>
        Witness (optional)
        <input name="witness" maxlength={120} placeholder="Name of the second person present" />
      </label>
      <p class="next">Pressing the button ejects both drives and records the hand-off under your name ({page.user.name}). Then print the sheet and sign it.</p>
      <div class="actions">
        <button type="submit" class="button primary big" data-testid="record-handoff">
          Eject and record hand-off
        </button>
        <a class="button secondary big" href="/snapshots">
          Cancel
        </a>
      </div>
    </form>
  </Layout>
);
