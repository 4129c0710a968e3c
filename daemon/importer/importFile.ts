import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { dominionManifestName, parseDominionCvrExport, parseDominionManifest } from './dominion.ts';
import { parseEif } from './eif.ts';
import { parseEssCvr } from './ess.ts';
import { parseCdfXml } from './cdfXml.ts';
import { parseHartCvr } from './hartXml.ts';
import { parseClearBallotCsv } from './clearBallot.ts';
import { parseDominionCsv } from './dominionCsv.ts';
import { missingManifestsWarning, parseDominionCvrZip, type ZippedTable } from './dominionZip.ts';
import { ballotImageZipReason, isBallotImageZip } from './imageZip.ts';
import { listImageZip } from './zipImages.ts';
import { detectFormat, type Detected } from './detectFormat.ts';
export { detectFormat } from './detectFormat.ts';
import { internalParseError } from './errors.ts';
import { dominionFormats, dominionOverlap } from './sameExport.ts';
import { classifyUnread } from './unreadFormats.ts';
import { parseNistCvr } from './nist.ts';
import { parseResults } from './results.ts';
import { parseVxElection } from './vxElection.ts';
import { SourceWriter, type SourceFormat } from './store.ts';
import { activeManifestNames, markSourceCvrZip, otherActiveNames, previousImport, sourceWarningsJson } from './sourceRows.ts';

/** The catalog row fields the importer needs (daemon/capture/schema.ts file_versions). */
export interface CatalogVersionRow {
  readonly id: number;
  readonly root_label: string;
  readonly rel_path: string;
  readonly sha256: string;
  readonly kind: string;
}

export type ImportStatus = 'imported' | 'unchanged' | 'not-election-data';

export interface ImportOutcome {
  readonly status: ImportStatus;
  readonly name: string;
  readonly format: SourceFormat | null;
  readonly records: number;
  readonly warnings: readonly string[];
  readonly sourceId: number | null;
  /** For 'not-election-data': why the file holds nothing to import. */
  readonly reason?: string;
  /** What was read, in words, where a record count says little (an election definition's contests). */
  readonly detail?: string;
}

type Parsed = { records: number; warnings: readonly string[]; detail?: string };

interface FileToImport {
  readonly path: string;
  readonly name: string;
  readonly scope: string;
  readonly fileName: string;
  readonly sha256: string;
  readonly fileVersionId: number | null;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function previous(db: Db, f: FileToImport): { id: number; state: string; error_json: string | null; records: number; format: string } | undefined {
  return previousImport(db, f.name, f.sha256);
}

/**
 * Imports one file idempotently: the same content under the same name is imported once; a bad
 * file leaves everything imported before it untouched (its own partial rows are removed).
 */
async function importOne(db: Db, f: FileToImport, logger?: Logger): Promise<Result<ImportOutcome>> {
  const before = previous(db, f);
  if (before !== undefined) {
    const error = before.error_json === null ? null : (JSON.parse(before.error_json) as OperatorError);
    if (before.state === 'active' && before.format === 'not-election-data') {
      const why = sourceWarningsJson(db, before.id);
      const reason = why == null ? undefined : ((JSON.parse(why) as string[])[0] ?? undefined);
      // A ballot-image zip classified before its images were listed for phase 1 is listed now (once).
      if (reason === ballotImageZipReason && f.fileVersionId !== null) await listImageZip(db, f.fileVersionId, f.path, f.name, logger);
      return ok({ status: 'not-election-data', name: f.name, format: null, records: 0, warnings: [], sourceId: before.id, reason });
    }
    if (before.state === 'active') {
      return ok({ status: 'unchanged', name: f.name, format: before.format as SourceFormat, records: before.records, warnings: [], sourceId: before.id });
    }
    if (error !== null && error.code !== 'import-interrupted') return err(error);
  }
  let detected: Detected | undefined;
  try {
    detected = await detectFormat(f.path, f.fileName);
  } catch (e) {
    return err(internalParseError(f.name, e));
  }
  if (detected === undefined) return recordUnread(db, f, logger);
  if (detected.format === 'dominion-cvr-zip' && (await isBallotImageZip(f.path))) {
    // Not imported, but phase 1 counts the images inside it: its directory is listed.
    if (f.fileVersionId !== null) await listImageZip(db, f.fileVersionId, f.path, f.name, logger);
    return recordNotElectionData(db, f, ballotImageZipReason, logger);
  }
  const twin = sameExportOtherFormat(db, f, detected.format);
  if (twin !== undefined) {
    // EMSs (and the sample generator) write the same table as .csv and .xlsx side by side;
    // counting both would double every total and flag every CVR as a duplicate.
    const writer = new SourceWriter(db, { fileVersionId: f.fileVersionId, name: f.name, scope: f.scope, sha256: f.sha256, format: 'ignored' });
    const warning = `${f.name}: same export as ${twin} in another file format; not counted twice.`;
    writer.commit(0, [warning]);
    return ok({ status: 'imported', name: f.name, format: 'ignored', records: 0, warnings: [warning], sourceId: writer.sourceId });
  }
  const writer = new SourceWriter(db, { fileVersionId: f.fileVersionId, name: f.name, scope: f.scope, sha256: f.sha256, format: detected.format });
  if (logger !== undefined) logEvent(logger, LogEvent.ImportStarted, { file: f.name, format: detected.format });
  const started = Date.now();
  let result: Result<Parsed>;
  try {
    result = await runParser(writer, f, detected);
  } catch (e) {
    result = err(internalParseError(f.name, e));
  }
  if (!result.ok) {
    writer.fail(result.error);
    if (logger !== undefined) logEvent(logger, LogEvent.ImportFailed, { file: f.name, format: detected.format, code: result.error.code, error: result.error.message }, 'warn');
    return result;
  }
  let warnings = result.value.warnings;
  if ((dominionFormats as readonly string[]).includes(detected.format)) {
    writer.flush();
    const overlap = dominionOverlap(db, writer.sourceId, f.scope, f.name, result.value.records);
    if (overlap.kind === 'copy-of') {
      const warning = `${f.name}: the same ballots as ${overlap.name} (another file of the same Dominion export); not counted twice.`;
      writer.commitIgnored(warning);
      if (logger !== undefined) logEvent(logger, LogEvent.ImportSameExport, { file: f.name, copyOf: overlap.name });
      return ok({ status: 'imported', name: f.name, format: 'ignored', records: 0, warnings: [warning], sourceId: writer.sourceId });
    }
    if (overlap.kind === 'contains') {
      warnings = [...warnings, `${f.name}: holds every ballot of ${overlap.names.join(', ')} (an earlier export); that file is no longer counted.`];
      if (logger !== undefined) logEvent(logger, LogEvent.ImportSameExport, { file: f.name, supersedes: overlap.names });
    }
    writer.commit(result.value.records, warnings, overlap.kind === 'contains' ? overlap.ids : []);
  } else writer.commit(result.value.records, warnings);
  if (logger !== undefined) {
    logEvent(logger, LogEvent.ImportFinished, { file: f.name, format: detected.format, records: result.value.records, ms: Date.now() - started, warnings: result.value.warnings.length });
  }
  return ok({ status: 'imported', name: f.name, format: detected.format, records: result.value.records, warnings, sourceId: writer.sourceId, ...(result.value.detail !== undefined ? { detail: result.value.detail } : {}) });
}

/** CVR tables found in a zip without a Dominion CvrExport: each read into the zip's one source. */
async function readZippedTables(writer: SourceWriter, f: FileToImport, tables: readonly ZippedTable[]): Promise<Result<{ records: number; warnings: readonly string[] }>> {
  markSourceCvrZip(writer.db, writer.sourceId);
  let records = 0;
  const warnings: string[] = [];
  const cvrFormats: readonly SourceFormat[] = ['ess-cvr', 'clear-ballot-cvr', 'dominion-cvr-csv'];
  for (const t of tables) {
    const detected = await detectFormat(t.path, t.fileName);
    if (detected === undefined || !cvrFormats.includes(detected.format)) {
      warnings.push(`${t.name}: not a CVR table (${detected?.format ?? 'not recognised'}); unzip the archive and import it on its own.`);
      continue;
    }
    const r = await runParser(writer, { ...f, path: t.path, name: t.name, fileName: t.fileName }, detected);
    if (!r.ok) return r;
    records += r.value.records;
    warnings.push(...r.value.warnings);
  }
  if (records === 0 && tables.length > 0) {
    return err(operatorError('import-zip-without-cvr', `${f.name}: no file in this zip archive is a cast vote record table ballotsafe reads.`, 'Unzip it and import the files inside one by one, or export the CVRs again.'));
  }
  return ok({ records, warnings });
}

/** A file no parser took: refused by name (recorded as failed) or listed as not election data. */
async function recordUnread(db: Db, f: FileToImport, logger?: Logger): Promise<Result<ImportOutcome>> {
  let verdict;
  try {
    verdict = await classifyUnread(f.path, f.fileName, f.name);
  } catch (e) {
    return err(internalParseError(f.name, e));
  }
  if (verdict.kind === 'refused') {
    const writer = new SourceWriter(db, { fileVersionId: f.fileVersionId, name: f.name, scope: f.scope, sha256: f.sha256, format: 'unsupported' });
    writer.fail(verdict.error);
    if (logger !== undefined) logEvent(logger, LogEvent.ImportRefused, { file: f.name, format: verdict.format }, 'warn');
    return err(verdict.error);
  }
  return recordNotElectionData(db, f, verdict.why, logger);
}

function recordNotElectionData(db: Db, f: FileToImport, why: string, logger?: Logger): Result<ImportOutcome> {
  const writer = new SourceWriter(db, { fileVersionId: f.fileVersionId, name: f.name, scope: f.scope, sha256: f.sha256, format: 'not-election-data' });
  writer.commit(0, [why]);
  if (logger !== undefined) logEvent(logger, LogEvent.ImportNotElectionData, { file: f.name, why });
  return ok({ status: 'not-election-data', name: f.name, format: null, records: 0, warnings: [], sourceId: writer.sourceId, reason: why });
}

/** Said when a loose Dominion CvrExport arrives with no manifests that name its contests. */
function manifestWarnings(db: Db, f: FileToImport): string[] {
  const have = activeManifestNames(db, f.scope).map((name) => (name.split(/[/\\:]/).pop() ?? '').toLowerCase());
  const missing = ['ContestManifest', 'CandidateManifest'].filter((m) => !have.includes(`${m.toLowerCase()}.json`));
  return missing.length > 0 ? [missingManifestsWarning(f.name, missing)] : [];
}

function stem(fileName: string): string {
  const i = fileName.lastIndexOf('.');
  return (i > 0 ? fileName.slice(0, i) : fileName).toLowerCase();
}

/** An active source in the same folder with the same name but another extension and the same format. */
function sameExportOtherFormat(db: Db, f: FileToImport, format: SourceFormat): string | undefined {
  if (format !== 'ess-cvr' && format !== 'results' && format !== 'eif') return undefined;
  const names = otherActiveNames(db, f.scope, format, f.name);
  const mine = stem(f.fileName);
  return names.find((name) => stem(name.split(/[/\\:]/).pop() ?? '') === mine);
}

/** A CVR parser's result: its contest list stored, its record count and warnings passed on. */
function withContests(
  writer: SourceWriter,
  r: Result<{ records: number; warnings: readonly string[]; contests: Parameters<SourceWriter['contests']>[0]; options: Parameters<SourceWriter['contests']>[1] }>,
): Result<{ records: number; warnings: readonly string[] }> {
  if (!r.ok) return r;
  writer.contests(r.value.contests, r.value.options);
  return ok({ records: r.value.records, warnings: r.value.warnings });
}

async function runParser(writer: SourceWriter, f: FileToImport, detected: Detected): Promise<Result<Parsed>> {
  switch (detected.format) {
    case 'dominion-cvr': {
      const r = await parseDominionCvrExport(f.path, f.name, writer);
      return r.ok ? ok({ records: r.value.records, warnings: [...manifestWarnings(writer.db, f), ...r.value.warnings] }) : r;
    }
    case 'dominion-cvr-zip':
      return parseDominionCvrZip(f.path, f.name, writer, (tables) => readZippedTables(writer, f, tables));
    case 'dominion-cvr-csv':
      return withContests(writer, await parseDominionCsv(f.path, f.name, writer));
    case 'dominion-manifest': {
      const name = dominionManifestName(f.fileName);
      if (name === undefined) return err(operatorError('import-unknown', `${f.name}: not a known Dominion manifest.`));
      const r = await parseDominionManifest(f.path, f.name, name);
      if (!r.ok) return r;
      writer.contests(r.value.contests, r.value.options);
      writer.lookups(r.value.lookups);
      return ok({ records: r.value.contests.length + r.value.options.length + r.value.lookups.length, warnings: r.value.warnings });
    }
    case 'ess-cvr':
      return withContests(writer, await parseEssCvr(f.path, f.name, detected.table ?? 'csv', writer));
    case 'nist-cvr':
      return withContests(writer, await parseNistCvr(f.path, f.name, writer));
    case 'clear-ballot-cvr':
      return withContests(writer, await parseClearBallotCsv(f.path, f.name, writer));
    case 'hart-cvr-xml':
      return withContests(writer, await parseHartCvr(f.path, f.name, writer));
    case 'nist-cvr-xml':
      return withContests(writer, await parseCdfXml(f.path, f.name, writer));
    case 'eif': {
      const r = await parseEif(f.path, f.name, detected.table ?? 'xlsx');
      if (!r.ok) return r;
      writer.eifRows(r.value.rows);
      return ok({ records: r.value.rows.length, warnings: r.value.warnings });
    }
    case 'vx-election': {
      const r = await parseVxElection(f.path, f.name);
      if (!r.ok) return r;
      writer.contests(r.value.contests, r.value.options);
      const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
      const choices = r.value.options.length - r.value.writeInLines;
      const detail = `election definition: ${n(r.value.contests.length, 'contest', 'contests')}, ${n(choices, 'candidate or answer', 'candidates or answers')}, ${n(r.value.writeInLines, 'write-in line', 'write-in lines')}`;
      return ok({ records: r.value.contests.length + r.value.options.length, warnings: [], detail });
    }
    case 'results': {
      const r = await parseResults(f.path, f.name, detected.table ?? 'csv');
      if (!r.ok) return r;
      writer.resultsRows(r.value.rows);
      return ok({ records: r.value.rows.length, warnings: r.value.warnings });
    }
    case 'ignored':
    case 'cvr-zip':
    case 'unsupported':
    case 'not-election-data':
      return ok({ records: 0, warnings: [] });
  }
}

/**
 * For the watcher: imports one captured file version from the vault (CVR export, Dominion
 * manifest, ES&S CVR, NIST CVR, EIF or results summary). Files of other kinds, and images, are
 * answered with status 'not-election-data'. Never throws.
 */
export async function importCatalogFile(db: Db, versionRow: CatalogVersionRow, vaultPath: string, logger?: Logger): Promise<Result<ImportOutcome>> {
  const name = `${versionRow.root_label}:${versionRow.rel_path}`;
  const imageZip = versionRow.kind === 'ballot-image' && /\.zip$/i.test(versionRow.rel_path);
  if ((versionRow.kind === 'ballot-image' && !imageZip) || versionRow.kind === 'log' || versionRow.kind === 'pollbook') {
    return ok({ status: 'not-election-data', name, format: null, records: 0, warnings: [], sourceId: null });
  }
  let path: string;
  try {
    path = vaultObjectPath(vaultPath, versionRow.sha256);
  } catch (e) {
    return err(internalParseError(name, e));
  }
  if (imageZip) {
    // A zip captured from an images folder: the pre-audit reads it as an export; phase 1 counts its images.
    await listImageZip(db, versionRow.id, path, name, logger);
    return ok({ status: 'not-election-data', name, format: null, records: 0, warnings: [], sourceId: null, reason: ballotImageZipReason });
  }
  const dir = posix.dirname(versionRow.rel_path);
  return importOne(
    db,
    {
      path,
      name,
      scope: `${versionRow.root_label}:${dir === '.' ? '' : dir}`,
      fileName: posix.basename(versionRow.rel_path),
      sha256: versionRow.sha256,
      fileVersionId: versionRow.id,
    },
    logger,
  );
}

/** Imports a file from the file system (operator command, tests); scope is its folder. */
export async function importLocalFile(db: Db, filePath: string, logger?: Logger): Promise<Result<ImportOutcome>> {
  const path = resolve(filePath);
  if (ballotImageExtension.test(path)) {
    // Images are election evidence but not imported: capture keeps them and the pre-audit reads them.
    return ok({ status: 'not-election-data', name: path, format: null, records: 0, warnings: [], sourceId: null, reason: ballotImageReason });
  }
  let sha256: string;
  try {
    sha256 = await sha256File(path);
  } catch (e) {
    return err(internalParseError(path, e));
  }
  return importOne(db, { path, name: path, scope: dirname(path), fileName: basename(path), sha256, fileVersionId: null }, logger);
}

const ballotImageExtension = /\.(tiff?|jpe?g|png|pdf)$/i;
export const ballotImageReason = 'a ballot image; images are captured and read by the pre-audit, not imported';

export interface FolderImport {
  readonly outcomes: readonly ImportOutcome[];
  readonly failures: readonly OperatorError[];
}

/** Imports every file in a folder tree, manifests before CVRs; one bad file does not stop the rest. */
export async function importLocalPath(db: Db, target: string, logger?: Logger): Promise<Result<FolderImport>> {
  let info;
  try {
    info = await stat(target);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return err(operatorError('import-not-found', `${target}: ${missing ? 'there is no such file or folder' : 'this file or folder cannot be read'}.`, 'Check the name and the path, then run the import again.'));
  }
  const files: string[] = [];
  if (info.isDirectory()) {
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) await walk(p);
        else if (entry.isFile()) files.push(p);
      }
    };
    await walk(target);
  } else files.push(target);
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const outcomes: ImportOutcome[] = [];
  const failures: OperatorError[] = [];
  for (const f of files) {
    const r = await importLocalFile(db, f, logger);
    if (r.ok) outcomes.push(r.value);
    else failures.push(r.error);
  }
  return ok({ outcomes, failures });
}

function rank(path: string): number {
  const n = basename(path);
  return dominionManifestName(n) !== undefined ? 0 : /cvrexport/i.test(n) ? 2 : 1;
}
