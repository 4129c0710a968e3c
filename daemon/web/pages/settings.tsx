import type { FC } from 'hono/jsx';
import type { Config } from '../../core/config.ts';
import type { User } from '../accounts.ts';
import { formatBytes } from '../format.ts';
import { Layout, type PageContext } from './layout.tsx';

export const SettingsPage: FC<{ page: PageContext; config: Config; users: readonly (User & { disabled?: boolean })[] }> = ({ page, config, users }) => (
  <Layout page={page} active="settings" title="Settings" live={false}>
    <p class="next">Read-only: these settings are changed by the appliance's technician. The folder names below are for the technician.</p>
    <div class="columns">
      <section class="panel">
        <h2>Election</h2>
        <dl class="facts">
          <dt>Title</dt>
          <dd>{config.election.title}</dd>
          <dt>Name on drives</dt>
          <dd>{config.election.name}</dd>
          <dt>Data folder</dt>
          <dd class="path">{config.dataDir}</dd>
        </dl>
        <h2>Watched export folders</h2>
        <dl class="facts">
          {config.roots.map((r) => (
            <>
              <dt>{r.label}</dt>
              <dd class="path">
                {r.path}
                {r.defaultKind === undefined ? '' : ` (${r.defaultKind})`}
              </dd>
            </>
          ))}
        </dl>
        <h2>Capture</h2>
        <dl class="facts">
          <dt>File settles after</dt>
          <dd>{config.capture.settleMs / 1000} s</dd>
          <dt>Warn below</dt>
          <dd>{formatBytes(config.capture.lowSpaceWarnBytes)} free</dd>
          <dt>Stop below</dt>
          <dd>{formatBytes(config.capture.minFreeBytes)} free</dd>
          <dt>Polling</dt>
          <dd>{config.capture.usePolling ? `every ${config.capture.pollIntervalMs / 1000} s` : 'off (file system events)'}</dd>
        </dl>
      </section>
      <section class="panel">
        <h2>Drives and snapshots</h2>
        <dl class="facts">
          <dt>Drives</dt>
          {config.drives.mode === 'usb' ? (
            <dd>USB drives</dd>
          ) : (
            <dd>
              folders (demo)
              <div class="path">A: {config.drives.a}</div>
              <div class="path">B: {config.drives.b}</div>
            </dd>
          )}
          <dt>Schedules</dt>
          <dd>{config.snapshot.schedules.length === 0 ? 'none' : config.snapshot.schedules.join(', ')}</dd>
          <dt>After exports settle</dt>
          <dd>{config.snapshot.settledAfterMinutes === null ? 'off' : `${config.snapshot.settledAfterMinutes} min`}</dd>
        </dl>
        <h2>Web</h2>
        <dl class="facts">
          <dt>Listens on</dt>
          <dd>
            {config.web.host}:{config.web.port}
          </dd>
          <dt>TLS</dt>
          <dd>{config.web.tls === undefined ? 'off (local kiosk only)' : 'on'}</dd>
          <dt>Log level</dt>
          <dd>{config.log.level}</dd>
        </dl>
        <h2>Users</h2>
        <dl class="facts">
          {users.map((u) => (
            <>
              <dt>{u.name}</dt>
              <dd>{u.role}{u.disabled === true ? ' (switched off)' : ''}</dd>
            </>
          ))}
        </dl>
        <p class="next">To add a user or switch one off, ask the appliance's technician.</p>
      </section>
    </div>
  </Layout>
);
