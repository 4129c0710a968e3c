import type { FC } from 'hono/jsx';
import { Document, ErrorBox } from './layout.tsx';

export const LoginPage: FC<{ csrf: string; next: string; electionTitle: string; error?: { message: string; action?: string } | undefined; name?: string }> = ({
  csrf,
  next,
  electionTitle,
  error,
  name,
}) => (
  <Document title="Log in" bodyClass="login">
    <main class="login-box">
      <h1>ballotsafe</h1>
      <p class="election">{electionTitle}</p>
      {error === undefined ? null : <ErrorBox message={error.message} action={error.action} />}
      <form method="post" action="/login">
        <input type="hidden" name="_csrf" value={csrf} />
        <input type="hidden" name="next" value={next} />
        <label>
          Name
          <input name="name" autocomplete="username" autocapitalize="none" required value={name ?? ''} autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" class="button primary big">
          Log in
        </button>
      </form>
      <p class="small">No account? An administrator creates one at the appliance with: ballotsafe user add &lt;name&gt; --role operator</p>
    </main>
  </Document>
);

/** A whole-page error for form posts without script: what happened, what to do, a way back. */
export const ErrorPage: FC<{ status: number; message: string; action?: string | undefined; back: string }> = ({ message, action, back }) => (
  <Document title="Problem">
    <main class="login-box">
      <h1>That did not work</h1>
      <ErrorBox message={message} action={action} />
      <a class="button primary big" href={back}>
        Go back
      </a>
    </main>
  </Document>
);
