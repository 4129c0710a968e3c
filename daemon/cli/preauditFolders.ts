/**
 * `ballotsafe preaudit <folder>…`: the pre-audit for an auditor with only folders of ballot images
 * and the election's CVR and definition files, no appliance and no config. The folders are captured
 * into a data folder of its own (a temporary one unless --data names one), imported, read and
 * compared as the appliance does; the reports go to --out. Styles the ballot's words could not map
 * are mapped from a mapping file (--mapping), and a template for one is written when some wait.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, dataPaths, type Config } from '../core/config.ts';
import { LogEvent } from '../core/log/events.ts';
import { createLogger, logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { CaptureService } from '../capture/captureService.ts';
import { importPendingCatalogFiles, refreshPhase1Report } from '../importer/service.ts';
import { phase1Findings } from './phase1Findings.ts';
import { runPreauditOnce, type PreauditRun } from './commands/preaudit.ts';
import { mappingTemplateCsv, namesStyle, parseMappingFile, resolveMapping, type MappingLine } from '../preaudit/mappingFile.ts';
import { PreauditService } from '../preaudit/service.ts';
import { PreauditWebProvider } from '../preaudit/webProvider.ts';
import type { StyleMappingForm } from '../preaudit/webApi.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { counted } from '../core/words.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

export interface FolderRunOptions {
  readonly folders: readonly string[];
  readonly outDir: string;
  /** Keep the captured files, database and learned styles here (a temporary folder otherwise, removed after). */
  readonly dataDir?: string;
  readonly mappingFile?: string;
  readonly workers?: number;
  /** Lines for the person, as they happen. */
  readonly say: (line: string) => void;
}

export interface FolderRun {
  readonly run: PreauditRun;
  /** Phase-1 findings worth a line: ballots scanned twice, duplicated images or CVRs. */
  readonly duplicates: readonly string[];
  /** Totals in the results report that differ from the CVRs' (phase1Findings.ts). */
  readonly totalsDiffering: readonly string[];
  /** Sheets read but not compared for a ballot scanned twice (ES&S: rescans.ts). */
  readonly sheetsNotCheckedForRescans: number;
  readonly arloManifest: string | null;
  readonly phase1Xlsx: string;
  /** Written when styles still wait for a person. */
  readonly mappingTemplate: string | null;
}

/** A label for a folder the catalog accepts ("nh-amherst-scans"), unique among the folders. */
function labelsFor(folders: readonly string[]): string[] {
  const used = new Set<string>();
  return folders.map((f, i) => {
    const base = path.basename(f).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || `folder-${i + 1}`;
    let label = /^[a-z0-9]/.test(base) ? base : `f-${base}`;
    for (let n = 2; used.has(label); n++) label = `${base}-${n}`;
    used.add(label);
    return label;
  });
}

function folderConfig(folders: readonly string[], dataDir: string): Result<Config> {
  const labels = labelsFor(folders);
  return parseConfig({
    dataDir,
    roots: folders.map((p, i) => ({ label: labels[i] ?? `folder-${i + 1}`, path: p })),
    // The files are already there: nothing is still being written.
    capture: { settleMs: 0 },
    drives: { mode: 'folders', a: path.join(dataDir, 'unused-drive-a'), b: path.join(dataDir, 'unused-drive-b') },
  });
}

function checkFolders(folders: readonly string[]): Result<string[]> {
  const out: string[] = [];
  for (const f of folders) {
    const abs = path.resolve(f);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      return err(operatorError('preaudit-folder-missing', `There is no folder ${f}.`, 'Check the name of the folder of ballot images and CVR files.'));
    }
    if (!isDir) return err(operatorError('preaudit-folder-not-folder', `${f} is a file, not a folder.`, 'Name the folder that holds it.'));
    out.push(abs);
  }
  return ok(out);
}

/** Captures the folders into the data folder and imports their CVR and definition files. */
async function captureAndImport(config: Config, logger: Logger, say: (l: string) => void): Promise<Result<void>> {
  const paths = dataPaths(config);
  const db = openStateDatabase(paths.database);
  try {
    const capture = new CaptureService({ config, db, logger, watch: false, startFailureAlert: false });
    const ready = await capture.scanAll();
    if (!ready.ok) return ready;
    const left = await capture.settle(60_000);
    const c = capture.counters;
    say(`Read ${counted(c.files, 'file')} in ${counted(c.dirs, 'folder')}${left > 0 ? ` (${left} could not be read)` : ''}.`);
    const imported = await importPendingCatalogFiles(db, paths.vault, logger);
    const names = imported.imported.map((i) => i.name);
    if (names.length > 0) say(`Imported ${names.length === 1 ? '1 file' : `${names.length} files`} of election data: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}`);
    const records = imported.imported.reduce((n, i) => n + i.records, 0);
    if (records > 0) say(`  ${counted(records, 'record')} read from them.`);
    // Nothing silent: a file that is not election data is named, with why, not just left out of the count.
    const other = imported.notElectionData;
    if (other.length > 0) say(`Not election data (kept, not imported): ${counted(other.length, 'file')}:`);
    // Grouped by why, so a folder of 60 look-alike files reads as one line with examples.
    const byReason = new Map<string, string[]>();
    for (const f of other) byReason.set(f.reason ?? 'not election data', [...(byReason.get(f.reason ?? 'not election data') ?? []), f.name]);
    for (const [reason, files] of byReason) {
      const shown = files.slice(0, 3).join(', ');
      say(files.length === 1 ? `  ${shown}: ${reason}` : `  ${counted(files.length, 'file')} (${shown}${files.length > 3 ? ', …' : ''}): ${reason}`);
    }
    if (other.length > 3) say('  preaudit.log lists every one.');
    for (const f of imported.failures) say(`Not imported: ${f.message}`);
    return ok(undefined);
  } finally {
    db.close();
  }
}

/** The forms of the styles waiting for a person. */
function waitingForms(provider: PreauditWebProvider): StyleMappingForm[] {
  return provider
    .styles()
    .filter((s) => s.status === 'needs-person')
    .flatMap((s) => {
      const f = provider.styleMapping(s.styleId);
      return f === undefined ? [] : [f];
    });
}

/** Maps the waiting styles the mapping file names; the number of styles mapped. */
function applyMapping(config: Config, logger: Logger, lines: readonly MappingLine[], actor: string, say: (l: string) => void): Result<number> {
  const paths = dataPaths(config);
  const db = openStateDatabase(paths.database);
  try {
    const service = new PreauditService({ db, vaultDir: paths.vault, logger, rootPaths: config.roots.map((r) => r.path) });
    const provider = new PreauditWebProvider(db, () => service.status());
    const forms = waitingForms(provider);
    const used = new Set<MappingLine>();
    let mapped = 0;
    for (const form of forms) {
      const mine = lines.filter((l) => namesStyle(l, form));
      if (mine.length === 0) continue;
      mine.forEach((l) => used.add(l));
      const assignments = resolveMapping(mine, form);
      if (!assignments.ok) return assignments;
      const r = service.mapStyleByHand(form.styleId, assignments.value, actor);
      if (!r.ok) return err(operatorError(r.error.code, `Ballot style ${form.styleId} (from the mapping file): ${r.error.message}`, 'Correct the mapping file and run the pre-audit again.'));
      mapped++;
      say(`Mapped ballot style ${form.styleId} from the mapping file: ${r.value.targets} voting targets.`);
    }
    const styles = [...new Set(lines.filter((l) => !used.has(l)).map((l) => l.style))];
    if (styles.length > 0) say(`The mapping file's lines for ${styles.join(', ')} were not needed: no style of that name was waiting for a person.`);
    return ok(mapped);
  } finally {
    db.close();
  }
}

/** After the last pass: the template for the styles still waiting, and the phase-1 findings. */
async function afterPass(config: Config, logger: Logger, outDir: string): Promise<Result<Omit<FolderRun, 'run'>>> {
  const paths = dataPaths(config);
  const db = openStateDatabase(paths.database);
  try {
    const provider = new PreauditWebProvider(db, () => ({ state: 'done', imagesDone: 0, imagesTotal: 0, ballotsCompared: 0, disagreements: 0, updatedAt: null }));
    const forms = waitingForms(provider);
    let mappingTemplate: string | null = null;
    if (forms.length > 0) {
      mappingTemplate = path.join(outDir, 'mapping-template.csv');
      writeFileSync(mappingTemplate, mappingTemplateCsv(forms));
    }
    const phase1 = await refreshPhase1Report(db, path.join(outDir, 'phase1'), () => readSheetFills(db), logger);
    if (!phase1.ok) return phase1;
    const { duplicates, totalsDiffering } = phase1Findings(phase1.value.report);
    const sheetsNotCheckedForRescans = phase1.value.report.summary.sheetsNotCheckedForRescans;
    return ok({ duplicates, totalsDiffering, sheetsNotCheckedForRescans, arloManifest: phase1.value.arloManifest, phase1Xlsx: phase1.value.xlsx, mappingTemplate });
  } finally {
    db.close();
  }
}

export async function runPreauditOnFolders(options: FolderRunOptions): Promise<Result<FolderRun>> {
  const folders = checkFolders(options.folders);
  if (!folders.ok) return folders;
  let lines: MappingLine[] = [];
  if (options.mappingFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.mappingFile, 'utf8');
    } catch {
      return err(operatorError('preaudit-mapping-file-missing', `Cannot read the mapping file ${options.mappingFile}.`, 'Check its name.'));
    }
    const parsed = parseMappingFile(text);
    if (!parsed.ok) return parsed;
    lines = parsed.value;
  }
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir === undefined ? mkdtempSync(path.join(tmpdir(), 'ballotsafe-preaudit-')) : path.resolve(options.dataDir);
  const config = folderConfig(folders.value, dataDir);
  if (!config.ok) return config;
  const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'info', destination: path.join(options.outDir, 'preaudit.log') });
  logEvent(logger, LogEvent.PreauditFolderRunStarted, { folders: folders.value, dataDir, temporary, mappingLines: lines.length });
  try {
    const captured = await captureAndImport(config.value, logger, options.say);
    if (!captured.ok) return captured;
    const workers = options.workers;
    let run = await runPreauditOnce(config.value, logger, options.outDir, workers);
    // The appliance's words ("a watched folder") do not fit folders named on the command line.
    if (!run.ok && run.error.code === 'preaudit-no-images') {
      return err(operatorError('preaudit-no-images', `There are no ballot images in ${options.folders.join(', ')} (JPEG, PNG, TIFF, PDF or PBM scans).`, 'Name the folder that holds the scanned ballots, with the CVR and election definition files.'));
    }
    if (!run.ok) return run;
    if (lines.length > 0 && run.value.tally.waitingForPerson > 0) {
      const mapped = applyMapping(config.value, logger, lines, `mapping file ${path.basename(options.mappingFile ?? '')}`, options.say);
      if (!mapped.ok) return mapped;
      if (mapped.value > 0) run = await runPreauditOnce(config.value, logger, options.outDir, workers);
      if (!run.ok) return run;
    }
    const after = await afterPass(config.value, logger, options.outDir);
    if (!after.ok) return after;
    return ok({ run: run.value, ...after.value });
  } catch (e) {
    const failure: OperatorError = operatorError('preaudit-failed', `The pre-audit failed: ${e instanceof Error ? e.message : String(e)}`, `See ${path.join(options.outDir, 'preaudit.log')}.`);
    return err(failure);
  } finally {
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  }
}
