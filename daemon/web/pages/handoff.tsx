import type { FC } from 'hono/jsx';
import type { DriveCard } from '../../custody/state.ts';
import type { SnapshotRecord } from '../deps.ts';
import { formatCount, formatTime, groupedHash } from '../format.ts';
import { Csrf, Layout, type PageContext } from './layout.tsx';

/**
 * The hand-off form: where each drive goes, its seal or evidence-bag number, and the witness
 * (required: two people see the drives leave). Submitting ejects both drives and records it.
 */
export const HandoffFormPage: FC<{ page: PageContext; snapshot: SnapshotRecord; drives: readonly DriveCard[]; now: Date }> = ({ page, snapshot, drives, now }) => (
  <Layout page={page} active="snapshots" title={`Hand off the drives of snapshot #${snapshot.sequence}`} live={false}>
    <section class="panel">
      <p>
        Snapshot #{snapshot.sequence}: {formatCount(snapshot.files)} files, finished {formatTime(snapshot.finishedAt, now)}. Both drives hold it, read back and verified.
      </p>
      <p class="hash">Root hash: {groupedHash(snapshot.rootHash)}</p>
    </section>
    <form method="post" action={`/api/snapshots/${snapshot.sequence}/handoff`} class="panel handoff-form" data-testid="handoff-form">
      <Csrf token={page.csrfToken} />
      <div class="handoff-drives">
        {(['A', 'B'] as const).map((role) => {
          const d = drives.find((x) => x.role === role);
          const which = [d?.label, d?.serial === null || d?.serial === undefined ? undefined : `serial ${d.serial}`].filter((x) => x !== undefined && x !== null).join(', ');
          return (
            <fieldset class="handoff-drive" data-drive={role}>
              <legend>Drive {role}</legend>
              {which === '' ? null : <p class="drive-info">{which}</p>}
              <label>
                Goes to (required)
                <input name={`destination${role}`} required maxlength={120} autocomplete="off" placeholder={role === 'A' ? "e.g. Clerk's office safe" : "e.g. Sheriff's evidence room"} />
              </label>
              <label>
                Seal or evidence-bag number
                <input name={`seal${role}`} maxlength={60} autocomplete="off" placeholder="Number on the seal or bag" />
              </label>
            </fieldset>
          );
        })}
      </div>
      <label>
        Witness: full name (required)
        <input name="witness" required maxlength={120} autocomplete="off" placeholder="The second person who sees the drives sealed and leave" />
      </label>
      <p class="next">
        Handed over by <strong>{page.user.name}</strong>. Pressing the button ejects both drives and records the hand-off. Then print the sheet; you, the witness and whoever receives each drive sign it.
      </p>
      <div class="actions">
        <button type="submit" class="button primary big" data-testid="record-handoff">
          Eject and record hand-off
        </button>
        <a class="button secondary big" href="/snapshot">
          Cancel
        </a>
      </div>
    </form>
  </Layout>
);
