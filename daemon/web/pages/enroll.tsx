import type { FC } from 'hono/jsx';
import type { UnenrolledDrive } from '../enrollment.ts';
import { formatBytes } from '../format.ts';
import { Csrf, Layout, type PageContext } from './layout.tsx';

/**
 * Enroll a drive from the kiosk (operators only): each drive plugged in that is not enrolled, in
 * plain words, with A or B and, for USB drives, erasing only after typing its label or ERASE.
 */
export const EnrollPage: FC<{ page: PageContext; drives: readonly UnenrolledDrive[] }> = ({ page, drives }) => (
  <Layout page={page} active="drives" title="Enroll a drive" live={false}>
    {drives.length === 0 ? (
      <section class="panel" data-testid="no-unenrolled">
        <p>No new drive is plugged in. Plug in the drive you want to use as drive A or drive B, wait a few seconds, then reload this page.</p>
        <p class="actions">
          <a class="button secondary big" href="/drives">
            Back to Drives
          </a>
        </p>
      </section>
    ) : (
      drives.map((d) => (
        <form method="post" action="/api/drives/enroll" class="panel handoff-form" data-testid="enroll-form">
          <Csrf token={page.csrfToken} />
          <input type="hidden" name="target" value={d.target} />
          <h2>{d.description}</h2>
          <p class="drive-info">
            {[d.label === null || d.label === '' ? 'no label' : `label ${d.label}`, d.serial === null ? undefined : `serial ${d.serial}`, d.sizeBytes === null ? undefined : formatBytes(d.sizeBytes)]
              .filter((x) => x !== undefined)
              .join(' · ')}
          </p>
          <fieldset class="handoff-drive">
            <legend>Use it as</legend>
            <label class="choice">
              <input type="radio" name="role" value="A" required /> Drive A
            </label>
            <label class="choice">
              <input type="radio" name="role" value="B" required /> Drive B
            </label>
          </fieldset>
          {d.canFormat ? (
            <label>
              To erase this drive and format it (everything on it is lost), type {d.label === null || d.label === '' ? '' : <>its label <code>{d.label}</code> or </>}the word <code>ERASE</code>. Leave empty to keep what is on it.
              <input name="confirmErase" maxlength={40} autocomplete="off" />
            </label>
          ) : null}
          <div class="actions">
            <button type="submit" class="button primary big" data-testid="enroll">
              Enroll this drive
            </button>
            <a class="button secondary big" href="/drives">
              Cancel
            </a>
          </div>
        </form>
      ))
    )}
  </Layout>
);
