import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths, type Config } from '../../core/config.ts';
import { openStateDatabase, type Db } from '../../runtime/stateDatabase.ts';
import { LogEvent } from '../../core/log/events.ts';
import { createLogger, logEvent, type Logger } from '../../core/log/logger.ts';
import { AlertLog } from '../../core/state/alerts.ts';
import { AuditLog } from '../../core/state/auditLog.ts';
import { counted } from '../../core/words.ts';
import { CaptureService } from '../../capture/captureService.ts';
import { CatalogStore } from '../../capture/catalogStore.ts';
import { diskHolding, mountedDisks } from '../../core/state/diskOverview.ts';
import { formatBytes } from '../../core/format.ts';


function openState(config: Config, logger?: Logger): Db {
  const db = openStateDatabase(dataPaths(config).database);
  if (logger !== undefined) logEvent(logger, LogEvent.DbMigrated, { path: dataPaths(config).database });
  return db;
}

const scan: CliCommand = {
  name: 'scan',
  summary: 'Reconcile the export folders with the catalog once, capture what is new, then exit',
  usage: 'ballotsafe scan [--config <file>] [--wait-seconds <n>]   (waits up to n seconds, default 60, for files still being written)',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, 'wait-seconds': { type: 'string' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const waitSeconds = Number(values['wait-seconds'] ?? '60');
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
      process.stderr.write('--wait-seconds must be a number of seconds (0 or more).\n');
      return 2;
    }
    // The summary and alerts go to the terminal; the event log goes to a file as evidence.
    const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? config.log.level, destination: join(dataPaths(config).logs, 'capture-scan.log') });
    const db = openState(config);
    const alerts = new AlertLog(db, logger);
    const before = alerts.all(1)[0]?.id ?? 0;
    const capture = new CaptureService({ config, db, logger, watch: false });
    new AuditLog(db, logger).record('system', 'capture.scan', { roots: config.roots.map((r) => r.label) });
    const ready = await capture.scanAll();
    if (!ready.ok) {
      process.stdout.write(`${ready.error.message}\n${ready.error.action ?? ''}\n`);
      db.close();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      return 3;
    }
    const left = await capture.settle(waitSeconds * 1000);
    const c = capture.counters;
    process.stdout.write(
      `Scanned ${counted(c.files, 'file')} in ${counted(c.dirs, 'folder')}: ${c.captured} captured (${c.changed} changed), ${c.unchanged} unchanged, ` +
        `${c.deleted} gone, ${counted(c.symlinks, 'new symlink')} recorded.\n`,
    );
    if (left > 0) process.stdout.write(`${left === 1 ? '1 file is' : `${left} files are`} still being written or could not be read yet; run scan again later.\n`);
    const raised = alerts.all(500).filter((a) => a.id > before);
    for (const a of raised.reverse()) process.stdout.write(`  [${a.severity}] ${a.code}: ${a.message}\n`);
    db.close();
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    return raised.some((a) => a.severity === 'critical') ? 3 : left > 0 ? 1 : 0;
  },
};

const status: CliCommand = {
  name: 'status',
  summary: 'Show the watched folders, what was captured, the last capture and open alerts',
  usage: 'ballotsafe status [--config <file>] [--json]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, json: { type: 'boolean' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const db = openState(config);
    try {
      const catalog = new CatalogStore(db);
      const counts = new Map(catalog.countsByRoot().map((c) => [c.rootLabel, c]));
      const roots = config.roots.map((r) => {
        const c = counts.get(r.label);
        let reachable = false;
        try {
          reachable = existsSync(r.path) && statSync(r.path).isDirectory();
        } catch {
          reachable = false;
        }
        return {
          label: r.label,
          path: r.path,
          reachable,
          files: c?.current ?? 0,
          bytes: c?.currentBytes ?? 0,
          changed: c?.changed ?? 0,
          deleted: c?.deleted ?? 0,
          lastCapture: catalog.lastCapture(r.label)?.capturedAt ?? null,
        };
      });
      const last = catalog.lastCapture() ?? null;
      // Which disk holds the vault and each export folder, and how full it is.
      const listed = await mountedDisks();
      const disks = listed.ok ? listed.value : [];
      const placeOf = (label: string, path: string) => {
        const d = diskHolding(path, disks);
        return d === undefined ? { label, path, mountPoint: null, totalBytes: null, availableBytes: null } : { label, path, mountPoint: d.mountPoint, totalBytes: d.totalBytes, availableBytes: d.availableBytes };
      };
      const diskPlaces = [placeOf('vault', dataPaths(config).vault), ...config.roots.map((r) => placeOf(r.label, r.path))];
      const open = new AlertLog(db, createLogger({ level: 'silent' })).open();
      const notCaptured = catalog.listNotCaptured().filter((s) => s.status === 'current');
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify({ roots, lastCapture: last, openAlerts: open, disks: diskPlaces, notCaptured }, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`Election: ${config.election.title}\nData: ${config.dataDir}\n\nWatched folders:\n`);
      for (const r of roots) {
        process.stdout.write(
          `  ${r.label.padEnd(16)} ${r.reachable ? 'ok     ' : 'MISSING'}  ${String(r.files).padStart(8)} files  ${formatBytes(r.bytes).padStart(10)}` +
            `  changed ${r.changed}, gone ${r.deleted}  last ${r.lastCapture ?? 'never'}\n      ${r.path}\n`,
        );
      }
      process.stdout.write('\nDisks:\n');
      if (!listed.ok) process.stdout.write(`  ${listed.error.message}\n`);
      for (const d of diskPlaces) {
        process.stdout.write(
          d.mountPoint === null || d.totalBytes === null || d.availableBytes === null
            ? `  ${d.label.padEnd(16)} (not on a mounted disk)\n`
            : `  ${d.label.padEnd(16)} ${formatBytes(d.availableBytes).padStart(10)} free of ${formatBytes(d.totalBytes)}  on ${d.mountPoint}\n`,
        );
      }
      if (notCaptured.length > 0) {
        process.stdout.write(`\nNot files, not captured (pipes, sockets, devices): ${notCaptured.length}\n`);
        for (const s of notCaptured.slice(0, 20)) process.stdout.write(`  ${s.rootLabel}:${s.relPath} (${s.type})\n`);
      }
      process.stdout.write(`\nLast capture: ${last === null ? 'none yet' : `${last.capturedAt}  ${last.rootLabel}:${last.relPath}`}\n`);
      process.stdout.write(`\nOpen alerts: ${open.length}\n`);
      for (const a of open) {
        process.stdout.write(`  #${a.id} ${a.raised_at} [${a.severity}] ${a.code}${a.subject === null ? '' : ` (${a.subject})`}\n      ${a.message}\n`);
        if (a.action !== null) process.stdout.write(`      → ${a.action}\n`);
      }
      return 0;
    } finally {
      db.close();
    }
  },
};

// The `daemon` command lives in daemon/runtime/commands.ts (capture plus everything else).
export const captureCommands: readonly CliCommand[] = [status, scan];
