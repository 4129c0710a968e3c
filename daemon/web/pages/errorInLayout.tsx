import type { FC } from 'hono/jsx';
import { ErrorBox, Layout, type NavKey, type PageContext } from './layout.tsx';

const tabOf: Record<string, NavKey> = { '/': 'overview', '/snapshot': 'snapshot', '/drives': 'drives', '/snapshots': 'snapshots', '/alerts': 'alerts', '/custody': 'custody', '/preaudit': 'preaudit', '/audit': 'audit', '/settings': 'settings' };

/** A refused action for a logged-in person: the message with the tab bar, so it is never a dead end. */
export const ErrorInLayout: FC<{ page: PageContext; message: string; action?: string | undefined; back: string }> = ({ page, message, action, back }) => (
  <Layout page={page} active={tabOf[back] ?? tabOf[`/${back.split('/')[1] ?? ''}`] ?? 'overview'} title="That did not work" live={false}>
    <ErrorBox message={message} action={action} />
    <p class="actions">
      <a class="button primary big" href={back} data-testid="go-back">
        Go back
      </a>
    </p>
  </Layout>
);
