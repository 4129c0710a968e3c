/**
 * ES&S xlsx benchmark (issue #18): generates an ES&S CVR workbook of N rows (default 1,000,000;
 * Cast Vote Record, Precinct, Ballot Style, a 3-rank contest, a vote-for-2 contest and single
 * contests, shared strings as ES&S writes them) and imports it into a fresh SQLite database with
 * the streaming reader, each measurement in its own process so peak RSS (VmHWM) is its own.
 * Baseline, measured in the same run: the whole-workbook loader (exceljs Workbook.xlsx.load, as
 * the importer used before) reading a smaller workbook of the same shape (--baseline-rows,
 * default 100,000: loading 1,000,000 rows whole does not fit the appliance), and both readers
 * refusing a workbook whose header is missing.
 *
 *   npx tsx bench/essXlsx.ts [--rows 1000000] [--baseline-rows 100000] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'baseline-rows': { type: 'string', default: '100000' },
    keep: { type: 'boolean', default: false },
    measure: { type: 'string' },
    file: { type: 'string' },
  },
});

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? process.memoryUsage().rss / 1048576 : Number(m[1]) / 1024;
}

const candidates = ['ADAMS, JANE', 'BAKER, ROBERT', 'CHEN, LI', 'DIAZ, MARIA', 'EVANS, TOM', 'UWI'];
const singles = ['PROPOSITION A', 'SCHOOL BOARD DISTRICT 3', 'COUNTY SHERIFF', 'CITY COUNCIL WARD 2'];

async function generate(path: string, rows: number, withHeader: boolean): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: false });
  const ws = wb.addWorksheet('CVR');
  if (withHeader) {
    ws.addRow(['Cast Vote Record', 'Precinct', 'Ballot Style', 'MAYOR Choice 1 (10)', 'MAYOR Choice 2 (11)', 'MAYOR Choice 3 (12)', 'COUNCIL AT LARGE', 'COUNCIL AT LARGE', ...singles]).commit();
  } else {
    for (let i = 0; i < 60; i++) ws.addRow([`report line ${i}`]).commit();
  }
  for (let i = 1; i <= rows; i++) {
    const c = (k: number) => candidates[(i * 7 + k * 3) % candidates.length] ?? '';
    const under = i % 11 === 0 ? 'undervote' : null;
    ws.addRow([
      i,
      `PRECINCT ${1 + (i % 250)}`,
      `STYLE ${1 + (i % 12)}`,
      c(0),
      under ?? c(1),
      under ?? c(2),
      i % 97 === 0 ? 'overvote' : c(3),
      c(4),
      ...singles.map((_, k) => ((i + k) % 5 === 0 ? 'undervote' : (i + k) % 2 === 0 ? 'YES' : 'NO')),
    ]).commit();
  }
  ws.commit();
  await wb.commit();
}

async function measure(mode: string, file: string): Promise<void> {
  const started = performance.now();
  let rows = 0;
  let outcome = '';
  if (mode === 'stream') {
    const { importTestDb } = await import('../daemon/importer/testSupport.ts');
    const { importLocalFile } = await import('../daemon/importer/importFile.ts');
    const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-bench-db-'));
    try {
      const db = importTestDb(join(dir, 'bench.db'));
      const r = await importLocalFile(db, file);
      rows = r.ok ? r.value.records : 0;
      outcome = r.ok ? r.value.status : r.error.message.slice(0, 100);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    // Baseline: the whole-workbook loader, walking every row and refusing when no header appears.
    const { readXlsxRows, normalizeHeader } = await import('../daemon/importer/tabular.ts');
    const { operatorError } = await import('../daemon/core/result.ts');
    let header = false;
    const r = await readXlsxRows(file, file, (cells, n) => {
      rows++;
      if (!header) header = cells.some((c) => normalizeHeader(c) === 'cast vote record');
      return !header && n > 50 ? operatorError('no-header', 'no header') : undefined;
    });
    outcome = r.ok ? 'read' : r.error.code;
  }
  process.stdout.write(`${JSON.stringify({ ms: Math.round(performance.now() - started), rows, peakRssMb: Math.round(peakRssMb()), outcome })}\n`);
}

function child(mode: string, file: string): { ms: number; rows: number; peakRssMb: number; outcome: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', process.argv[1] ?? 'bench/essXlsx.ts', '--measure', mode, '--file', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as { ms: number; rows: number; peakRssMb: number; outcome: string };
}

async function main(): Promise<void> {
  if (values.measure !== undefined && values.file !== undefined) return measure(values.measure, values.file);
  const rows = Number(values.rows);
  const baselineRows = Number(values['baseline-rows']);
  const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-bench-ess-'));
  try {
    const files = {
      big: join(dir, 'cvr_big.xlsx'),
      small: join(dir, 'cvr_small.xlsx'),
      noHeader: join(dir, 'cvr_noheader.xlsx'),
    };
    let t = performance.now();
    await generate(files.big, rows, true);
    await generate(files.small, baselineRows, true);
    await generate(files.noHeader, baselineRows, false);
    const mb = (p: string) => (statSync(p).size / 1048576).toFixed(1);
    console.log(`generated ${rows} rows (${mb(files.big)} MB), ${baselineRows} rows (${mb(files.small)} MB) and a ${baselineRows}-row workbook without a header in ${Math.round(performance.now() - t)} ms`);
    const lines: [string, ReturnType<typeof child>][] = [];
    t = performance.now();
    lines.push([`baseline: whole-workbook load, ${baselineRows} rows`, child('load', files.small)]);
    lines.push([`streamed import, ${baselineRows} rows`, child('stream', files.small)]);
    lines.push([`streamed import, ${rows} rows`, child('stream', files.big)]);
    lines.push([`baseline: refuse no-header workbook (${baselineRows} rows) by loading it`, child('load', files.noHeader)]);
    lines.push([`streamed: refuse no-header workbook (${baselineRows} rows)`, child('stream', files.noHeader)]);
    for (const [label, m] of lines) {
      const rate = m.rows > 0 ? `${Math.round(m.rows / (m.ms / 1000))} rows/s` : '';
      console.log(`${label.padEnd(70)} ${String(m.ms).padStart(8)} ms  peak RSS ${String(m.peakRssMb).padStart(5)} MB  ${rate.padStart(14)}  ${m.outcome}`);
    }
    const base = lines[0]?.[1];
    const small = lines[1]?.[1];
    const big = lines[2]?.[1];
    if (base !== undefined && small !== undefined && big !== undefined) {
      console.log(`\npeak RSS ratio streamed/baseline at ${baselineRows} rows: ${(small.peakRssMb / base.peakRssMb).toFixed(2)}; streamed ${rows} rows: ${big.peakRssMb} MB (goal < 300 MB)`);
    }
    console.log(`total ${Math.round(performance.now() - t)} ms`);
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
