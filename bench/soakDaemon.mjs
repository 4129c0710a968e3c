// The daemon side of bench/soak.ts, in JavaScript so it runs as the installed command does: the compiled
// dist/ (scripts/build-cli.mjs), no TypeScript loader in the process (`--from-sources` runs the sources
// through tsx instead). Starts the daemon, enrolls two folder drives, prints a status line every second
// and runs a snapshot every --snapshot-every seconds in the background, like the End-of-day button.
//
//   node bench/soakDaemon.mjs <config.json> <snapshot-every-seconds> [--from-sources]
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [configFile, everyArg, from] = process.argv.slice(2);
const snapshotEverySec = Number(everyArg);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
let base = join(repo, 'dist', 'daemon');
if (from === '--from-sources') {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: join(repo, 'tsconfig.json') });
  base = join(repo, 'daemon');
}
const ext = from === '--from-sources' ? 'ts' : 'js';
const load = (rel) => import(pathToFileURL(join(base, `${rel}.${ext}`)).href);
const { loadConfig } = await load('core/config');
const { createLogger } = await load('core/log/logger');
const { startDaemon } = await load('runtime/daemonRuntime');
const { default: sharp } = await import('sharp');

const MB = 1024 * 1024;
/** Where the daemon's memory is (MB): V8's heap, memory outside it held by JS objects, libvips's cache (process-wide). */
function memoryBreakdown() {
  const m = process.memoryUsage();
  const c = sharp.cache();
  return { rss: m.rss / MB, heapUsed: m.heapUsed / MB, heapTotal: m.heapTotal / MB, external: m.external / MB, arrayBuffers: m.arrayBuffers / MB, sharpCache: c.memory.current, sharpFiles: c.files.current, sharpItems: c.items.current };
}

const loaded = loadConfig(configFile);
if (!loaded.ok) throw new Error(loaded.error.message);
const logger = createLogger({ level: 'warn', destination: join(dirname(configFile), 'daemon.log') });
const started = await startDaemon({ config: loaded.value, logger, catalogPollMs: 2000 });
if (!started.ok) throw new Error(started.error.message);
const running = started.value;
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
for (const role of ['A', 'B']) {
  const enrolled = await running.drives.enroll({ target: role, role, operator: 'soak' });
  if (!enrolled.ok) throw new Error(enrolled.error.message);
}
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
let snapshots = 0;
let failed = 0;
let snapshotting;
let next = Date.now() + snapshotEverySec * 1000;
while (!stopping) {
  await new Promise((r) => setTimeout(r, 1000));
  const p = running.web.deps.preaudit?.status();
  say({ kind: 'status', captured: running.capture.counters.captured, snapshots, failed, preauditDone: p?.imagesDone ?? 0, preauditState: p?.state ?? 'none', memory: memoryBreakdown() });
  if (Date.now() < next || stopping || snapshotting !== undefined) continue;
  snapshotting = running.custody.runSnapshot({ reason: 'end-of-day', actor: 'soak' }).then((outcome) => {
    if (outcome.ok && outcome.value.perDrive.every((d) => d.state === 'complete')) snapshots++;
    else failed++;
    next = Date.now() + snapshotEverySec * 1000;
    snapshotting = undefined;
  });
}
await snapshotting;
await running.stop();
process.exit(0);
