import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { driveFoldersProblem } from './folderOverlap.ts';
import { err, ok, operatorError, type Result } from './result.ts';

const label = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, e.g. "central-scan"');

const byteSize = z.number().int().nonnegative();

export const fileKinds = ['ballot-image', 'cvr', 'election-definition', 'pollbook', 'log', 'other'] as const;
export type FileKind = (typeof fileKinds)[number];

export const configSchema = z
  .object({
    /** Shown on drives, reports and the UI; also the folder name on the drives. */
    election: z
      .object({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/, 'must be letters, digits, dot, dash or underscore'),
        title: z.string().min(1).default('Sample County General Election'),
      })
      .strict()
      .default({ name: 'sample-election', title: 'Sample County General Election' }),
    /** Database, vault and keys live here (the appliance's own disk). */
    dataDir: z.string().min(1).default('./demo-data/var'),
    roots: z
      .array(
        z
          .object({
            label,
            path: z.string().min(1),
            /** Kind for files this root holds when the name does not tell (e.g. a pollbook share). */
            defaultKind: z.enum(fileKinds).optional(),
          })
          .strict(),
      )
      // The demo's layout (ballotsafe demo generates a sample election there).
      .default([
        { label: 'dominion-export', path: './demo-data/export/dominion' },
        { label: 'ess-export', path: './demo-data/export/ess' },
        { label: 'election-files', path: './demo-data/export/eif', defaultKind: 'election-definition' },
        { label: 'results', path: './demo-data/export/results' },
      ])
      .refine((roots) => new Set(roots.map((r) => r.label)).size === roots.length, 'root labels must be unique'),
    capture: z
      .object({
        /** A file is complete once its size and mtime have not changed for this long. */
        settleMs: z.number().int().min(0).max(600_000).default(2000),
        /** Warn when the vault disk has less free space than this. */
        lowSpaceWarnBytes: byteSize.default(5 * 1024 ** 3),
        /** Stop capturing (and alert) before the vault disk has less than this. */
        minFreeBytes: byteSize.default(1 * 1024 ** 3),
        /** Poll the file system instead of inotify (network shares). */
        usePolling: z.boolean().default(false),
        pollIntervalMs: z.number().int().min(100).max(60_000).default(2000),
        /** How often to look for a vanished root to come back. */
        rootRetryMs: z.number().int().min(100).max(600_000).default(10_000),
        /** Full reconcile of every root as a safety net under the watcher (missed events, deep paths). */
        reconcileIntervalMs: z.number().int().min(1000).max(86_400_000).default(300_000),
      })
      .strict()
      .default({ settleMs: 2000, lowSpaceWarnBytes: 5 * 1024 ** 3, minFreeBytes: 1024 ** 3, usePolling: false, pollIntervalMs: 2000, rootRetryMs: 10_000, reconcileIntervalMs: 300_000 }),
    drives: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('usb') }).strict(),
        z
          .object({
            mode: z.literal('folders'),
            /** Two folders that stand in for drives A and B (demo, or drives mounted by other means). */
            a: z.string().min(1),
            b: z.string().min(1),
          })
          .strict(),
      ])
      .default({ mode: 'folders', a: './demo-data/drive-a', b: './demo-data/drive-b' }),
    snapshot: z
      .object({
        /** node-cron expressions, e.g. "0 22 * * *" for 10 pm every day. */
        // Checked here so a typo stops the daemon at start with the key named, not at 10 pm.
        schedules: z.array(z.string().min(1).refine((s) => validateCron(s), 'is not a valid cron expression (e.g. "0 22 * * *" for 10 pm every day)')).default([]),
        /** Start a snapshot this many minutes after the last new file (null: off). */
        settledAfterMinutes: z.number().int().min(1).max(24 * 60).nullable().default(null),
      })
      .strict()
      .default({ schedules: [], settledAfterMinutes: null }),
    web: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        // 0 asks the system for a free port (tests, demo --port 0).
        port: z.number().int().min(0).max(65535).default(8080),
        tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict().optional(),
        /** Host names (besides localhost and this computer's name) the UI answers to; any other name is refused (DNS rebinding). */
        allowedHosts: z.array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+$/, 'is not a host name')).max(50).optional(),
        /** A login session ends after this many minutes without a request (default 30). */
        sessionIdleMinutes: z.number().int().min(1).max(24 * 60).optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    /**
     * The appliance signs through the separate signer service (ballotsafe-signer.socket), whose own
     * unix user alone can read the key; its public key is pinned here (provision.sh writes both).
     * Absent: the key lives in dataDir/keys, readable by this process (demo, development, tests).
     */
    signing: z
      .object({
        socket: z.string().min(1),
        publicKey: z.string().regex(/^RW[A-Za-z0-9+/]{54}$/, 'must be the key line of the minisign public key file (56 characters starting with RW)'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Resolves relative paths in the config against `baseDir` (the config file's folder, or cwd). */
function resolvePaths(config: Config, baseDir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    roots: config.roots.map((r) => ({ ...r, path: abs(r.path) })),
    drives: config.drives.mode === 'folders' ? { ...config.drives, a: abs(config.drives.a), b: abs(config.drives.b) } : config.drives,
    web: config.web.tls
      ? { ...config.web, tls: { certFile: abs(config.web.tls.certFile), keyFile: abs(config.web.tls.keyFile) } }
      : config.web,
    ...(config.signing ? { signing: { ...config.signing, socket: abs(config.signing.socket) } } : {}),
  };
}

/** Validates a config object; errors name the key and what is allowed. */
export function parseConfig(input: unknown, baseDir: string = process.cwd()): Result<Config> {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `${key}: ${issue.message}`;
    });
    return err(
      operatorError('config-invalid', `The configuration is not valid:\n  ${lines.join('\n  ')}`, 'Correct these keys in the config file and start again.'),
    );
  }
  const config = resolvePaths(parsed.data, baseDir);
  // Checked on the real paths (symlinks, bind mounts): one folder for both would be one copy.
  if (config.drives.mode === 'folders') {
    const problem = driveFoldersProblem(config.drives.a, config.drives.b);
    if (problem !== undefined) {
      return err(operatorError('config-drives-overlap', `The configuration is not valid:\n  drives: ${problem}`, 'Set drives.a and drives.b to two separate folders, on two separate disks, neither inside the other, and start again.'));
    }
  }
  return ok(config);
}

export const defaultConfigPath = '/etc/ballotsafe/config.yaml';

/**
 * Loads the config file (YAML or JSON; JSON is valid YAML). With no file named and none at the
 * default path, the embedded defaults run the demo from the current folder.
 */
export function loadConfig(path?: string): Result<Config> {
  const chosen = path ?? process.env['BALLOTSAFE_CONFIG'] ?? (existsSync(defaultConfigPath) ? defaultConfigPath : undefined);
  if (chosen === undefined) return parseConfig({}, process.cwd());
  let text: string;
  try {
    text = readFileSync(chosen, 'utf8');
  } catch (e) {
    return err(operatorError('config-unreadable', `Cannot read the config file ${chosen}: ${(e as Error).message}`, 'Check the path and its permissions.'));
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    return err(operatorError('config-syntax', `The config file ${chosen} is not valid YAML/JSON: ${(e as Error).message}`, 'Fix the syntax at the line named.'));
  }
  return parseConfig(data, dirname(resolve(chosen)));
}

/** Where things live under dataDir. */
export function dataPaths(config: Config) {
  const d = config.dataDir;
  return {
    database: resolve(d, 'ballotsafe.db'),
    vault: resolve(d, 'vault'),
    keys: resolve(d, 'keys'),
    reports: resolve(d, 'reports'),
    logs: resolve(d, 'logs'),
  };
}
