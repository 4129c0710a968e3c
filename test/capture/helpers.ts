import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config, type ConfigInput } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { CaptureService } from '../../daemon/capture/captureService.ts';
import type { CaptureHooks } from '../../daemon/capture/captureEngine.ts';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import type { AlertRow } from '../../daemon/core/state/alerts.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const corpusDir = resolve(repoRoot, '../shared/corpus');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `bs-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function makeConfig(base: string, input: ConfigInput): Config {
  const parsed = parseConfig({ dataDir: join(base, 'data'), ...input }, base);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

export interface Harness {
  readonly config: Config;
  readonly db: Db;
  readonly service: CaptureService;
  close(): Promise<void>;
}

/** A capture service on its own database (a "process run"); close() is a clean shutdown. */
export function openHarness(config: Config, options: { watch?: boolean; hooks?: CaptureHooks } = {}): Harness {
  const db = openStateDatabase(join(config.dataDir, 'ballotsafe.db'));
  const service = new CaptureService({ config, db, logger: silentLogger(), watch: options.watch ?? false, ...(options.hooks ? { hooks: options.hooks } : {}) });
  return {
    config,
    db,
    service,
    async close() {
      await service.stop();
      db.close();
    },
  };
}

export interface Row {
  id: number;
  root_label: string;
  rel_path: string;
  rel_path_raw: Buffer;
  size: number;
  sha256: string;
  kind: string;
  status: string;
  superseded_at: string | null;
}

export function rows(db: Db): Row[] {
  return db.prepare<[], Row>('SELECT * FROM file_versions ORDER BY id').all();
}

export function alerts(db: Db): AlertRow[] {
  return db.prepare<[], AlertRow>('SELECT * FROM alerts ORDER BY id').all();
}

/** Every catalog row names a vault object that exists and hashes to its name. */
export function assertVaultMatchesCatalog(db: Db, vaultDir: string): number {
  let n = 0;
  for (const r of rows(db)) {
    const data = readFileSync(vaultObjectPath(vaultDir, r.sha256));
    if (sha256(data) !== r.sha256) throw new Error(`vault object ${r.sha256} is corrupt`);
    if (data.length !== r.size) throw new Error(`vault object ${r.sha256} has ${data.length} bytes, row says ${r.size}`);
    n++;
  }
  return n;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Deterministic PRNG (mulberry32) so random test choices are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
