import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { dominionManifestName, parseDominionCvrExport, parseDominionManifest, type DominionManifestName } from './dominion.ts';
import { internalParseError, parseError } from './errors.ts';
import type { SourceWriter } from './store.ts';
import type { ZipLimits } from './zipGuard.ts';

/**
 * Dominion's "CVR_Export_<time>.zip": CvrExport.json (or CvrExport_<n>.json, one per batch)
 * plus every manifest, as ImageCast Central / Democracy Suite export it. Read as one import
 * source: the manifests first, then each CvrExport file streamed. Entries are inflated to a
 * private temporary folder while counting bytes (a CVR file can be gigabytes; it never sits in
 * memory), under zip-bomb limits checked on the central directory first.
 */
export const cvrZipLimits: ZipLimits = {
  maxEntries: 200_000,
  maxEntryBytes: 4 * 1024 * 1024 * 1024,
  maxTotalBytes: 32 * 1024 * 1024 * 1024,
  maxRatio: 200,
};

const cvrExportEntry = /^cvrexport(_\d+)?\.json$/i;

function baseName(entryName: string): string {
  return entryName.slice(entryName.replace(/\\/g, '/').lastIndexOf('/') + 1);
}

function openZip(path: string): Promise<yauzl.ZipFile | Error> {
  return new Promise((resolve) => {
    yauzl.open(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, autoClose: false }, (e, zip) => {
      resolve(e !== null || zip === undefined ? (e ?? new Error('unreadable zip')) : zip);
    });
  });
}

function listEntries(zip: yauzl.ZipFile, max: number): Promise<yauzl.Entry[] | Error> {
  return new Promise((resolve) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      if (entries.length > max) resolve(entries);
      else zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (e: Error) => resolve(e));
    zip.readEntry();
  });
}

/** Inflates one entry to a file, stopping past its declared size (yauzl checks it too). */
function extractEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, to: string): Promise<true | Error> {
  return new Promise((resolve) => {
    zip.openReadStream(entry, (e, stream) => {
      if (e !== null || stream === undefined) {
        resolve(e ?? new Error('unreadable entry'));
        return;
      }
      let n = 0;
      const cap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          n += chunk.length;
          if (n > entry.uncompressedSize) done(new Error(`inflates past its declared ${entry.uncompressedSize} bytes`));
          else done(null, chunk);
        },
      });
      pipeline(stream, cap, createWriteStream(to, { mode: 0o600 })).then(
        () => resolve(true),
        (e2: unknown) => resolve(e2 instanceof Error ? e2 : new Error(String(e2))),
      );
    });
  });
}

export interface DominionZipSummary {
  readonly records: number;
  readonly warnings: readonly string[];
}

export interface ZippedTable {
  readonly path: string;
  readonly fileName: string;
  /** "<zip> > <entry>", for messages. */
  readonly name: string;
}

/** Reads the CVR tables of a zip without a CvrExport (given by importFile: it knows the formats). */
export type ZippedTablesReader = (tables: readonly ZippedTable[]) => Promise<Result<DominionZipSummary>>;

/** Imports a CVR export zip (Dominion, or CVR tables zipped) into one source; never throws. */
export async function parseDominionCvrZip(
  path: string,
  file: string,
  writer: SourceWriter,
  readTables?: ZippedTablesReader,
  limits: ZipLimits = cvrZipLimits,
): Promise<Result<DominionZipSummary>> {
  const bad = (expected: string, got?: string) => err(parseError('import-bad-zip', file, undefined, expected, got));
  const opened = await openZip(path);
  if (opened instanceof Error) return bad('a readable zip archive', opened.message);
  const zip = opened;
  let work: string | undefined;
  try {
    const listed = await listEntries(zip, limits.maxEntries);
    if (listed instanceof Error) return bad('a readable zip archive', listed.message);
    if (listed.length > limits.maxEntries) return bad(`at most ${limits.maxEntries} files in the archive`, 'more');
    let total = 0;
    for (const e of listed) {
      total += e.uncompressedSize;
      if (e.uncompressedSize > limits.maxEntryBytes) return bad(`files under ${limits.maxEntryBytes / 1048576} MB uncompressed (zip bomb protection)`, `"${e.fileName}" of ${e.uncompressedSize} bytes`);
      if (e.uncompressedSize > 1048576 && e.uncompressedSize > limits.maxRatio * Math.max(1, e.compressedSize)) {
        return bad(`a compression ratio under ${limits.maxRatio}:1 (zip bomb protection)`, `"${e.fileName}" at ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1`);
      }
    }
    if (total > limits.maxTotalBytes) return bad(`under ${limits.maxTotalBytes / 1048576} MB uncompressed in total (zip bomb protection)`, `${total} bytes`);

    const exports = listed.filter((e) => cvrExportEntry.test(baseName(e.fileName))).sort((a, b) => a.fileName.localeCompare(b.fileName, 'en', { numeric: true }));
    const manifests = new Map<DominionManifestName, yauzl.Entry>();
    for (const e of listed) {
      const m = dominionManifestName(baseName(e.fileName));
      if (m !== undefined && !manifests.has(m)) manifests.set(m, e);
    }
    const tables = listed.filter((e) => /\.(csv|xlsx)$/i.test(e.fileName) && !/(^|\/)__MACOSX\//.test(e.fileName));
    if (exports.length === 0 && tables.length > 0 && readTables !== undefined) {
      // An ES&S (or other vendor's) export zipped: its CVR tables are read as one source.
      work = await mkdtemp(join(tmpdir(), 'ballotsafe-zip-'));
      const extracted: ZippedTable[] = [];
      for (const [i, entry] of tables.entries()) {
        const to = join(work, `${i}-${baseName(entry.fileName).replace(/[^\w.-]/g, '_')}`);
        const x = await extractEntry(zip, entry, to);
        if (x !== true) return bad(`"${entry.fileName}" to inflate to its declared ${entry.uncompressedSize} bytes`, x.message);
        extracted.push({ path: to, fileName: baseName(entry.fileName), name: `${file} > ${entry.fileName}` });
      }
      const others = listed.filter((e) => !e.fileName.endsWith('/') && !tables.includes(e));
      const r = await readTables(extracted);
      if (!r.ok) return r;
      const warnings = [...r.value.warnings];
      if (others.length > 0) warnings.push(`${file}: not read from the archive (not CVR tables): ${others.slice(0, 10).map((e) => e.fileName).join(', ')}${others.length > 10 ? ', ...' : ''}.`);
      return ok({ records: r.value.records, warnings });
    }
    if (exports.length === 0) {
      return err(
        operatorError(
          'import-zip-without-cvr',
          `${file}: this zip archive holds no Dominion CvrExport.json, so there is nothing ballotsafe can read in it.`,
          'If it is a CVR export from another system, unzip it and import the files inside; if it is a Dominion export, export the CVRs again in JSON format.',
        ),
      );
    }
    work = await mkdtemp(join(tmpdir(), 'ballotsafe-zip-'));
    const warnings: string[] = [];
    for (const [name, entry] of manifests) {
      const to = join(work, `${name}.json`);
      const x = await extractEntry(zip, entry, to);
      if (x !== true) return bad(`"${entry.fileName}" to inflate to its declared ${entry.uncompressedSize} bytes`, x.message);
      const m = await parseDominionManifest(to, `${file} > ${entry.fileName}`, name);
      if (!m.ok) return m;
      writer.contests(m.value.contests, m.value.options);
      writer.lookups(m.value.lookups);
      warnings.push(...m.value.warnings);
    }
    const missing = (['ContestManifest', 'CandidateManifest'] as const).filter((n) => !manifests.has(n));
    if (missing.length > 0) warnings.push(missingManifestsWarning(file, missing));
    let records = 0;
    for (const entry of exports) {
      const to = join(work, 'cvr.json');
      const x = await extractEntry(zip, entry, to);
      if (x !== true) return bad(`"${entry.fileName}" to inflate to its declared ${entry.uncompressedSize} bytes`, x.message);
      const r = await parseDominionCvrExport(to, `${file} > ${entry.fileName}`, writer);
      await rm(to, { force: true });
      if (!r.ok) return r;
      records += r.value.records;
      warnings.push(...r.value.warnings);
    }
    return ok({ records, warnings });
  } catch (e) {
    return err(internalParseError(file, e));
  } finally {
    zip.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  }
}

/** Said to the clerk when a Dominion export comes without the files that name its contests. */
export function missingManifestsWarning(file: string, missing: readonly string[]): string {
  return `${file}: no ${missing.map((m) => `${m}.json`).join(' or ')} came with this export, so contests and candidates are shown by their Dominion numbers, not their names. Export the CVRs again with all manifests to see the names.`;
}
