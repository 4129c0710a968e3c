/**
 * The web UI over a captured election's database, with a pre-audit provider, served on a free port
 * and opened in chromium at the kiosk's size by a user logged in through the real form: the setup
 * the pre-audit browser tests share. `closeKiosk` closes the browser, the server and the database
 * and removes the test's folder.
 */
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import type { Db } from '../../daemon/runtime/stateDatabase.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { Accounts, type Role } from '../../daemon/web/accounts.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import type { ImportChecksProvider, PreauditProvider } from '../../daemon/web/deps.ts';
import { startWebServer, type RunningWebServer } from '../../daemon/web/server.ts';
import { createWebDeps } from '../../daemon/web/wiring.ts';
import { loggedInKiosk } from './browserLogin.ts';

export async function preauditKiosk(
  db: Db,
  web: Config,
  options: { readonly preaudit: PreauditProvider; readonly importChecks?: ImportChecksProvider; readonly user: string; readonly role: Role },
): Promise<{ server: RunningWebServer; browser: Browser; page: Page }> {
  const logger = silentLogger();
  const deps = createWebDeps({
    db,
    config: web,
    logger,
    engine: new SnapshotEngine({ db, config: web, logger }),
    preaudit: options.preaudit,
    ...(options.importChecks === undefined ? {} : { importChecks: options.importChecks }),
  });
  assertOk(await new Accounts(db).addUser(options.user, options.role, 'correct horse battery'));
  const server = assertOk(await startWebServer(createWebApp(deps), web, logger));
  return { server, ...(await loggedInKiosk(server.url, options.user, 'correct horse battery')) };
}

/** The shared teardown: each part may be missing when the setup failed part way. */
export async function closeKiosk(parts: { readonly browser: Browser | undefined; readonly server: RunningWebServer | undefined; readonly db: Db | undefined; readonly root: string }): Promise<void> {
  await parts.browser?.close();
  await parts.server?.close();
  parts.db?.close();
  rmSync(parts.root, { recursive: true, force: true });
}
