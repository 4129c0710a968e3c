// Child process for the kill -9 test: one snapshot, killed at the step named by
// BALLOTSAFE_TEST_CRASH_AT_STEP (see daemon/snapshot/crashPoints.ts).
import { folderDrives, makeAppliance } from './fixture.ts';

const [dir, a, b] = process.argv.slice(2);
if (dir === undefined || a === undefined || b === undefined) throw new Error('usage: crashChild <appliance dir> <drive A> <drive B>');
const app = makeAppliance(dir);
const result = await app.engine().run({ reason: 'schedule', actor: 'system', drives: folderDrives(a, b) });
app.close();
process.stdout.write(JSON.stringify(result.ok ? { ok: true, bagName: result.value.bagName } : { ok: false, code: result.error.code, message: result.error.message }));
process.exitCode = result.ok ? 0 : 1;
