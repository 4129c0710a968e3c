import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { g4Strip, scanPdf } from '../../../scripts/sample-election/pdf.ts';
import { vaultObjectPath } from '../../capture/vaultLayout.ts';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import { corpusDir, tempDir } from '../../importer/testSupport.ts';
import { importLocalFile } from '../../importer/importFile.ts';
import { preauditCommands } from './preaudit.ts';

/** A letter-size ES&S export page (blank: the ES&S design is set aside before any reading). */
async function essSheetPdf(): Promise<Buffer> {
  const width = 850;
  const height = 1100;
  const img = { width, height, dpi: 100, data: Buffer.alloc(width * height, 255) };
  return scanPdf([{ widthPx: width, heightPx: height, g4: await g4Strip(img), widthIn: 8.5, heightIn: 11 }]);
}

describe('ballotsafe preaudit: the summary and exit code say when sheets were not read', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('every sheet set aside, none read: not "no disagreements" (exit 3, every sheet counted with why)', async () => {
    const { dir, cleanup } = tempDir('ballotsafe-preaudit-cli-');
    cleanups.push(cleanup);
    const dataDir = join(dir, 'var');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${dataDir}\nlog: { level: silent }\nroots: []\n`);
    // Two captured ES&S sheets in the vault and the catalog, as the capture layer records them.
    const db = openStateDatabase(join(dataDir, 'ballotsafe.db'));
    const pdf = await essSheetPdf();
    for (const [n, name] of ['Pct 1/000001i.pdf', 'Pct 1/000002i.pdf'].entries()) {
      const bytes = Buffer.concat([pdf, Buffer.from(`\n%${n}\n`)]); // two different files
      const sha = createHash('sha256').update(bytes).digest('hex');
      const obj = vaultObjectPath(join(dataDir, 'vault'), sha);
      mkdirSync(dirname(obj), { recursive: true });
      writeFileSync(obj, bytes);
      db.prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES ('scans', ?, ?, ?, '0', '0', ?, ?, 'ballot-image', '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`,
      ).run(name, Buffer.from(name), bytes.length, name, sha);
    }
    db.close();
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const command = preauditCommands.find((c) => c.name === 'preaudit');
    // With no contest names imported yet, no style can be learned: the pre-audit says so and could not run.
    const early = await command?.run(['--config', config, '--out', join(dir, 'report')]);
    expect(out.join('')).toMatch(/cannot map ballot styles yet: no contest names have been imported/);
    expect(early).toBe(2);
    out.length = 0;
    // An ES&S CVR export names the contests (a real one from the corpus); the sheets are then each counted with why.
    const withCvr = openStateDatabase(join(dataDir, 'ballotsafe.db'));
    const imported = await importLocalFile(withCvr, join(corpusDir, 'rctab-samples', 'ess', '2015_portland_mayor_cvr.xlsx'));
    withCvr.close();
    expect(imported.ok).toBe(true);
    const code = await command?.run(['--config', config, '--out', join(dir, 'report')]);
    const text = out.join('');
    expect(text).toMatch(/2 {2}sheets in the catalog/);
    expect(text).toMatch(/0 {2}sheets read/);
    expect(text).toMatch(/2 {2}sheets set aside: ES&S border of timing marks not found/);
    expect(text).toMatch(/0 {2}contests disagreeing with the CVR/);
    expect(code).toBe(3);
    expect(command?.usage).toMatch(/exit 3: no disagreement among the sheets read, but some sheets were not read/);
  }, 60_000);
});
