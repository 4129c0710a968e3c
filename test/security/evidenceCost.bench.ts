// Not a test: measures the evidence check before a snapshot against the snapshot's own write
// time on two exFAT loop drives (run by hand: npx tsx test/security/evidenceCost.bench.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { assertOk } from '../../daemon/core/result.ts';
import { folderDrives, makeAppliance } from '../snapshot/fixture.ts';
import { TestMounts } from '../snapshot/mounts.ts';

const files = Number(process.env['FILES'] ?? 300);
const totalMiB = Number(process.env['MIB'] ?? 1024);
const mounts = new TestMounts();
const app = makeAppliance();
try {
  const a = mounts.exfat(totalMiB + 400);
  const b = mounts.exfat(totalMiB + 400);
  const each = Math.floor((totalMiB * 1024 * 1024) / files);
  for (let i = 0; i < files; i++) app.addFile('central-scan', `T1/B${Math.floor(i / 50)}/img${i}.tif`, randomBytes(each));
  const logFile = join(app.dir, 'log.jsonl');
  const logger = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true }));
  const engine = app.engine({ logger });
  let t = Date.now();
  assertOk(await engine.run({ reason: 'operator', actor: 'bench', drives: folderDrives(a.mountPoint, b.mountPoint) }));
  const firstMs = Date.now() - t;
  app.addFile('central-scan', 'T9/B9/late.tif', randomBytes(1000));
  t = Date.now();
  assertOk(await engine.run({ reason: 'operator', actor: 'bench', drives: folderDrives(a.mountPoint, b.mountPoint) }));
  const secondMs = Date.now() - t;
  const checks = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('snapshot.evidence.checked')).map((l) => JSON.parse(l) as { role: string; ms: number; files: number; bytes: number });
  process.stdout.write(`${files} files, ${totalMiB} MiB on two exFAT (FUSE) loop drives\n`);
  process.stdout.write(`snapshot 1 (write both drives + read-back): ${(firstMs / 1000).toFixed(1)} s\n`);
  process.stdout.write(`snapshot 2 (1 small new file), total: ${(secondMs / 1000).toFixed(1)} s\n`);
  for (const c of checks.slice(-2)) process.stdout.write(`  evidence check drive ${c.role}: ${c.files} files, ${(c.bytes / 1024 ** 2).toFixed(0)} MiB in ${(c.ms / 1000).toFixed(1)} s (both drives in parallel)\n`);
} finally {
  app.close();
  mounts.cleanup();
}
