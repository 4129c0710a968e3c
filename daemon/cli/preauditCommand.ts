/**
 * `ballotsafe preaudit`: on the appliance, the captured files (--config); given folders, those
 * folders alone, with no config (preauditFolders.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { preauditCommands } from './commands/preaudit.ts';
import { passExitCode, passSummaryLines } from '../preaudit/runSummary.ts';
import { PREAUDIT_EXIT } from '../preaudit/sheetTally.ts';
import type { CliCommand } from './command.ts';
import { runPreauditOnFolders } from './preauditFolders.ts';

const applianceRun = preauditCommands.find((c) => c.name === 'preaudit');

export const PREAUDIT_SUMMARY = 'Read the ballot images (captured, or in the folders named: no config needed), compare with the CVRs, write the JSON/XLSX report with evidence crops';

const folderUsage =
  'ballotsafe preaudit <folder>… [--out <folder>] [--mapping <file>] [--data <folder>]\n' +
  '  Reads the ballot images and the CVR and election definition files in the folders named (and their\n' +
  '  subfolders): Dominion CVR exports and manifests, ES&S CVRs, an EIF, a NIST CDF election or CVR,\n' +
  '  a VotingWorks election.json. Contest names come from whichever definition is there.\n' +
  '  --out       where the reports go (default ./preaudit-report): preaudit-report.json,\n' +
  '              preaudit-discrepancies.xlsx, independent-cvr.csv, evidence/, phase1/ (duplicates,\n' +
  '              Arlo ballot manifest), preaudit.log, and mapping-template.csv when a style waits\n' +
  '  --mapping   a mapping file (CSV or JSON) for ballot styles the ballot\'s words could not map: one\n' +
  '              line per target, columns style,side,column,row,contest,option (contest and option by\n' +
  '              name or id; option "write-in" for a write-in line; both empty: not a voting target).\n' +
  '              mapping-template.csv is one to fill in.\n' +
  '  --data      keep the copied files, database and learned styles in this folder (default: a\n' +
  '              temporary folder, removed after)\n' +
  '  Pages are paired into sheets by name: a CVR number or Dominion image name (000123_F.tif and\n' +
  '  000123_B.tif; ES&S 000123F / 000123R), else a side at the end of the name after _ - . or a space\n' +
  '  (F/B/R, front/back, p1/p2, page1/page2, side1/side2): "ballot-7-front.jpg" + "ballot-7-back.jpg".\n' +
  '  Any other file is a sheet by itself (both sides in one file: a multipage TIFF, ES&S <id>i.pdf).\n' +
  '  Exit codes as above; with folders, exit 1 also when a ballot was scanned twice (a duplicate).';

export const preauditCommand: CliCommand = {
  name: 'preaudit',
  summary: PREAUDIT_SUMMARY,
  usage: `${applianceRun?.usage ?? ''}\n  ${folderUsage}`,
  async run(argv) {
    let parsed: { values: { out?: string | undefined; mapping?: string | undefined; data?: string | undefined; config?: string | undefined }; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { config: { type: 'string' }, out: { type: 'string' }, mapping: { type: 'string' }, data: { type: 'string' } } });
    } catch (e) {
      process.stderr.write(`ballotsafe preaudit: ${e instanceof Error ? e.message : String(e)}\n`);
      return PREAUDIT_EXIT.error;
    }
    const { values, positionals } = parsed;
    if (positionals.length === 0) {
      if (values.mapping !== undefined || values.data !== undefined) {
        process.stderr.write('ballotsafe preaudit: --mapping and --data go with the folders to read (ballotsafe preaudit <folder>… --mapping <file>).\n');
        return PREAUDIT_EXIT.error;
      }
      if (applianceRun === undefined) throw new Error('the appliance pre-audit command is missing'); // wiring bug
      return applianceRun.run(argv);
    }
    if (values.config !== undefined) {
      process.stderr.write('ballotsafe preaudit: give either folders to read or --config (the appliance\'s captured files), not both.\n');
      return PREAUDIT_EXIT.error;
    }
    const outDir = path.resolve(values.out ?? 'preaudit-report');
    const r = await runPreauditOnFolders({
      folders: positionals,
      outDir,
      ...(values.mapping === undefined ? {} : { mappingFile: values.mapping }),
      ...(values.data === undefined ? {} : { dataDir: values.data }),
      say: (l) => process.stdout.write(`${l}\n`),
    });
    if (!r.ok) {
      process.stderr.write(`${r.error.message}\n${r.error.action ?? ''}\n`);
      return PREAUDIT_EXIT.error;
    }
    for (const l of passSummaryLines(r.value.run)) process.stdout.write(`${l}\n`);
    const d = r.value.duplicates;
    process.stdout.write(`${String(d.length).padStart(9)}  duplicates (the same ballot or CVR twice)\n`);
    for (const line of d.slice(0, 20)) process.stdout.write(`  ${line}\n`);
    const notChecked = r.value.sheetsNotCheckedForRescans;
    if (notChecked > 0) {
      process.stdout.write(`${String(notChecked).padStart(9)}  ES&S sheets not compared for a ballot scanned twice (two voters' filled ovals look alike in ES&S's black-and-white scans)\n`);
    }
    const totals = r.value.totalsDiffering;
    if (totals.length > 0) {
      process.stdout.write(`${String(totals.length).padStart(9)}  total${totals.length === 1 ? '' : 's'} in the results report differing from the CVRs\n`);
      for (const line of totals.slice(0, 20)) process.stdout.write(`  ${line}\n`);
    }
    process.stdout.write(`        ${r.value.phase1Xlsx}  (checks of the exports: duplicates, images without a CVR)\n`);
    if (r.value.arloManifest !== null) process.stdout.write(`        ${r.value.arloManifest}  (Arlo ballot manifest)\n`);
    if (r.value.mappingTemplate !== null) {
      process.stdout.write(
        `Some ballot styles wait for a person to say which contest option each target is. Fill in the contest and option\n` +
          `columns of ${r.value.mappingTemplate} and run again with --mapping <that file>.\n`,
      );
    }
    // A ballot scanned twice is counted twice in the CVR totals, and a results report that is not the
    // sum of the CVRs is not the count of the ballots: findings, like a disagreement.
    const code = passExitCode(r.value.run);
    return d.length + totals.length > 0 && code !== PREAUDIT_EXIT.disagreements ? PREAUDIT_EXIT.disagreements : code;
  },
};
