/**
 * Issue #14 item 7 (capture part): a file the EMS writes slowly (appended every 0.5 s, as slow as
 * the settle time) is not tampering. Before, every append after a capture raised a critical
 * "changed after capture" alert. Now each version may be captured, but growth that keeps what was
 * captured (an append), noticed within a few settle times of the capture, raises no critical
 * alert, and at most one alert for the file in all. Rewrites and late appends stay critical.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alerts, makeConfig, openHarness, removeDir, rows, sha256, sleep, tempDir, type Harness } from '../capture/helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('a slowly written export file', () => {
  it('appended every 0.5 s: no critical alert, at most one alert for the file, the complete file captured', async () => {
    const base = tempDir('sec-grow');
    cleanup.push(() => removeDir(base));
    const root = join(base, 'export');
    mkdirSync(root);
    // The demo's settle time; the writer pauses exactly that long between appends.
    const config = makeConfig(base, { roots: [{ label: 'cvr-exports', path: root }], capture: { settleMs: 500 } });
    const h = openHarness(config, { watch: true });
    cleanup.push(() => h.close());
    await h.service.start();
    await h.service.idle();
    const file = join(root, 'CvrExport_1.json');
    for (let i = 0; i < 8; i++) {
      appendFileSync(file, `{"Sessions":[{"TabulatorId":1,"BatchId":${i},"RecordId":${i}}]}\n`.repeat(200));
      await sleep(600);
    }
    const complete = sha256(readFileSync(file));
    const end = Date.now() + 15_000;
    while (Date.now() < end && !rows(h.db).some((r) => r.sha256 === complete && r.status === 'current')) await sleep(100);
    await sleep(800);
    await h.service.idle();
    const versions = rows(h.db).filter((r) => r.rel_path === 'CvrExport_1.json');
    expect(versions.find((r) => r.status === 'current')?.sha256).toBe(complete);
    const forFile = alerts(h.db).filter((a) => a.subject === 'cvr-exports:CvrExport_1.json');
    expect(forFile.filter((a) => a.severity === 'critical')).toEqual([]);
    expect(forFile.length).toBeLessThanOrEqual(1);
    process.stdout.write(`growing file: ${versions.length} versions captured, ${forFile.length} alert(s)\n`);
  });

  it('a captured file whose old content is not kept (a rewrite, not an append) is still a critical alert', async () => {
    const h = slowExportHarness();
    const file = join(h.config.roots[0]!.path, 'CvrExport_2.json');
    appendFileSync(file, '{"votes":1}\n');
    await captureNow(h);
    // Longer than before, but one captured byte differs: not growth, tampering.
    const tampered = Buffer.concat([readFileSync(file), Buffer.from('more')]);
    tampered[10] = 0x39;
    writeFileSync(file, tampered);
    await captureNow(h);
    expect(alerts(h.db).map((a) => [a.code, a.severity])).toEqual([['captured-file-changed', 'critical']]);
  });

  it('an append across copy-chunk boundaries is growth; an append noticed long after the last capture is still a critical alert', async () => {
    const h = slowExportHarness();
    const file = join(h.config.roots[0]!.path, 'CvrExport_3.json');
    const big = Buffer.alloc(2 * 1024 * 1024 + 12_345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    appendFileSync(file, big);
    await captureNow(h);
    appendFileSync(file, Buffer.alloc(1024 * 1024 + 77, 0x41)); // more than one 1 MB chunk after the captured part
    await captureNow(h);
    expect(alerts(h.db).map((a) => [a.code, a.severity])).toEqual([['captured-file-grew', 'info']]);
    expect(rows(h.db).find((r) => r.status === 'current')?.sha256).toBe(sha256(readFileSync(file)));
    // The same kind of append, but the last capture was long ago: not an export still being written.
    h.db.prepare("UPDATE file_versions SET captured_at = '2026-01-01T00:00:00.000Z'").run();
    appendFileSync(file, 'appended a day later\n');
    await captureNow(h);
    expect(alerts(h.db).filter((a) => a.severity === 'critical').map((a) => a.code)).toEqual(['captured-file-changed']);
  });
});

/** Files settle after 500 ms (the demo's setting), without a watcher: the test drives the scans. */
function slowExportHarness(): Harness {
  const base = tempDir('sec-grow');
  cleanup.push(() => removeDir(base));
  const root = join(base, 'export');
  mkdirSync(root);
  const h = openHarness(makeConfig(base, { roots: [{ label: 'cvr-exports', path: root }], capture: { settleMs: 500 } }));
  cleanup.push(() => h.close());
  return h;
}

/** One scan, then every file captured once it has settled. */
async function captureNow(h: Harness): Promise<void> {
  await h.service.scanAll();
  expect(await h.service.settle(10_000)).toBe(0);
}
