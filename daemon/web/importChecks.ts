import { ballotImageZipReason } from '../importer/imageZip.ts';
import type { Phase1Report } from '../importer/report.ts';
import { imageKeyFromFileName, imageKeyInWords } from '../importer/imageKeys.ts';
import type { BallotScan, ImportChecksProvider, Phase1Check } from './deps.ts';

const few = 5;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * A sheet's first scan (its front; Dominion keeps both sides in one file) in words: the ballot
 * its file name (or zip member's) stands for ("tabulator 1, batch 2, ballot 9"), else the file's own name.
 */
function ballotScan(name: string | undefined, imageId: number | undefined, member: string | undefined): BallotScan | undefined {
  if (name === undefined || imageId === undefined) return undefined;
  const relPath = member ?? name.slice(name.indexOf(':') + 1);
  const key = imageKeyFromFileName(relPath);
  const words = key === null ? `the scan ${relPath.split('/').pop() ?? relPath}` : imageKeyInWords(key);
  return { words, imageId, page: 0, ...(member !== undefined ? { member } : {}) };
}

/**
 * Files that are not election data, grouped by why: an ES&S folder export holds a CVR printout
 * (`<id>c.pdf`) per ballot, thousands of look-alike files that read best as one line with examples.
 */
function notElectionDataLines(files: readonly { name: string; warnings: readonly string[] }[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const f of files) byReason.set(f.warnings[0] ?? '', [...(byReason.get(f.warnings[0] ?? '') ?? []), f.name]);
  return [...byReason].map(([why, names]) => {
    const because = why === '' ? '' : ` (${why})`;
    if (names.length === 1) return `Not election data: ${names[0] ?? ''}${because}`;
    return `Not election data: ${plural(names.length, 'file')} such as ${names.slice(0, 2).join(', ')}${because}`;
  });
}

/** The importer's phase-1 report as the checks the Pre-audit page lists (pass / warn / fail / not run). */
export function checksFromReport(r: Phase1Report): Phase1Check[] {
  const s = r.summary;
  const checks: Phase1Check[] = [];
  const failedSources = r.sources.filter((x) => x.error !== null);
  // A file that is not election data carries its why as its one warning: listed, not a warning.
  const notElectionData = r.sources.filter((x) => x.format === 'not-election-data');
  const warnedSources = r.sources.filter((x) => x.warnings.length > 0 && x.format !== 'not-election-data');
  // The images inside an ES&S export zip are counted (importer/zipImages.ts); for a zip of images none of which
  // has ES&S's names, none is counted and these checks say they did not look inside it.
  const imageZips = notElectionData.filter((x) => x.warnings.includes(ballotImageZipReason)).map((x) => x.name);
  const images = s.imageFiles === 0 && imageZips.length > 0 ? `ballot images inside ${plural(imageZips.length, 'zip')}` : plural(s.imageFiles, 'image');
  checks.push({
    id: 'sources',
    name: 'Export files read',
    // Files that are not election data are listed as sources too: with no CVR record, nothing passed.
    state: failedSources.length > 0 ? 'fail' : s.cvrRecords === 0 ? 'not-run' : warnedSources.length > 0 ? 'warn' : 'pass',
    summary:
      s.cvrRecords === 0 && failedSources.length === 0
        ? `No CVR export imported yet${s.notElectionData > 0 ? ` (${plural(s.notElectionData, 'file')} that ${s.notElectionData === 1 ? 'is' : 'are'} not election data)` : ''}.`
        : `${plural(r.sources.length, 'source')}, ${plural(s.cvrRecords, 'CVR record')}, ${images}.`,
    details: [
      ...failedSources.map((x) => `${x.name}: ${x.error ?? ''}`),
      ...warnedSources.flatMap((x) => x.warnings.slice(0, 2).map((w) => `${x.name}: ${w}`)),
      ...notElectionDataLines(notElectionData),
    ].slice(0, few),
  });
  const noCvrs = s.cvrRecords === 0;
  // A zip of images that could not be listed is images captured, not none: the CVR check runs and says why.
  const noImages = s.imageFiles === 0 && r.imageZipsNotListed.length === 0;
  const waiting = noCvrs
    ? 'Runs once a CVR export is imported.'
    : noImages && imageZips.length > 0
      ? `Not checked here: the ballot images are inside ${imageZips.slice(0, 2).join(' and ')}${imageZips.length > 2 ? ' and more zips' : ''}, which this check does not open; the pre-audit reads them there.`
      : 'Runs once ballot images are captured.';
  checks.push(
    noCvrs || noImages
      ? { id: 'images-have-cvr', name: 'Every ballot image has a CVR', state: 'not-run', summary: waiting, details: [] }
      : {
          id: 'images-have-cvr',
          name: 'Every ballot image has a CVR',
          state: s.imagesWithoutCvr > 0 ? 'fail' : 'pass',
          summary: s.imagesWithoutCvr === 0 ? 'No image without a CVR.' : `${plural(s.imagesWithoutCvr, 'image')} without a CVR.`,
          details: r.imagesWithoutCvr.items.slice(0, few).map((i) => i.file),
        },
  );
  checks.push(
    noCvrs || noImages
      ? { id: 'cvrs-have-image', name: 'Every CVR has a ballot image', state: 'not-run', summary: waiting, details: [] }
      : {
          id: 'cvrs-have-image',
          name: 'Every CVR has a ballot image',
          state: s.cvrsWithoutImage > 0 ? 'fail' : 'pass',
          summary: s.cvrsWithoutImage === 0 ? 'No CVR without an image.' : `${plural(s.cvrsWithoutImage, 'CVR')} without an image.`,
          details: [
            ...r.imageZipsNotListed.map((z) => `${z.problem} None of its images is counted.`),
            ...r.cvrsWithoutImage.items.map((c) => [c.source, c.tabulator, c.batch, c.recordId ?? c.cvrNumber].filter((x) => x !== null).join(' / ')),
          ].slice(0, few),
        },
  );
  const dups = s.duplicateCvrs + s.duplicateImages + s.rescannedSheets;
  // Rescans (new image bytes, same marks) are found among the sheets the pre-audit has read.
  const notComparable = s.sheetsNotCheckedForRescans;
  const rescanNote =
    (s.imageFiles === 0
      ? ''
      : s.sheetsCheckedForRescans === 0
        ? notComparable > 0
          ? ''
          : ' Ballots scanned twice under another number are looked for once the pre-audit has read the marks.'
        : ` ${plural(s.sheetsCheckedForRescans, 'sheet')} compared by their marks to find a ballot scanned twice.`) +
    (notComparable > 0
      ? ` ${plural(notComparable, 'ES&S sheet')} not compared: in ES&S's black-and-white scans two voters' filled ovals look alike, so a ballot scanned twice under another number cannot be told by its marks. Check the ES&S scanner's own rescan records.`
      : '');
  checks.push({
    id: 'duplicates',
    name: 'No duplicates',
    // Images none of whose marks were read yet cannot be checked for rescans: not a pass (issue #20).
    // Sheets read but not comparable (ES&S) are not checked either: not a pass.
    state: s.cvrRecords === 0 && s.imageFiles === 0 ? 'not-run' : dups > 0 ? 'fail' : (s.imageFiles > 0 && s.sheetsCheckedForRescans === 0) || notComparable > 0 ? 'warn' : 'pass',
    summary:
      (dups === 0
        ? noImages && imageZips.length > 0
          ? 'No duplicated CVR; the ballot images inside the zip are not compared here.'
          : 'No duplicated CVR or image.'
        : [
            s.duplicateCvrs > 0 ? plural(s.duplicateCvrs, 'duplicated CVR') : '',
            s.duplicateImages > 0 ? plural(s.duplicateImages, 'duplicated image') : '',
            s.rescannedSheets > 0 ? plural(s.rescannedSheets, 'ballot scanned twice', 'ballots scanned twice') : '',
          ]
            .filter((x) => x !== '')
            .join(', ') + '.') + rescanNote,
    // The two scans of each, to be seen side by side (the evidence view).
    sameBallot: r.rescannedSheets.items.flatMap((d) => {
      const first = ballotScan(d.first[0], d.firstIds[0], d.firstMembers?.[0]);
      const second = ballotScan(d.second[0], d.secondIds[0], d.secondMembers?.[0]);
      return first === undefined || second === undefined ? [] : [{ first, second }];
    }),
    details: [
      ...r.rescannedSheets.items.map((d) => `Same ballot scanned twice: ${d.first.join(' + ')} and ${d.second.join(' + ')} carry the same marks`),
      ...r.duplicateCvrs.items.map((d) => `CVR ${d.identity} ×${d.count}`),
      ...r.duplicateImages.items.map((d) => d.files.join(' = ')),
    ].slice(0, few),
  });
  const eifProblems = s.eifContestsMissingFromCvr + s.cvrContestsMissingFromEif + s.eifOptionsMissingFromCvr + s.cvrOptionsMissingFromEif;
  checks.push({
    id: 'election-definition',
    name: 'Contests and options match the election definition',
    state: !r.eif.present ? 'not-run' : eifProblems > 0 ? 'fail' : 'pass',
    summary: !r.eif.present ? 'No election definition (EIF) imported.' : eifProblems === 0 ? 'Contests and options match.' : `${plural(eifProblems, 'difference')} between the EIF and the CVRs.`,
    details: [
      ...r.eif.contestsMissingFromCvr.map((c) => `In EIF, not in CVRs: ${c}`),
      ...r.eif.cvrContestsMissingFromEif.map((c) => `In CVRs, not in EIF: ${c}`),
      ...r.eif.optionsMissingFromCvr.map((o) => `In EIF, not in CVRs: ${o.contest} / ${o.option}`),
      ...r.eif.cvrOptionsMissingFromEif.map((o) => `In CVRs, not in EIF: ${o.contest} / ${o.option}`),
    ].slice(0, few),
  });
  checks.push({
    id: 'totals',
    name: 'CVR totals match the published results',
    state: !r.totals.present ? 'not-run' : s.totalsMismatched > 0 ? 'fail' : s.totalsWithinSuppressed > 0 ? 'warn' : 'pass',
    summary: !r.totals.present
      ? 'No results summary imported.'
      : s.totalsMismatched > 0
        ? `${plural(s.totalsMismatched, 'total')} differ.`
        : s.totalsWithinSuppressed > 0
          ? `${plural(s.totalsWithinSuppressed, 'total')} differ only by ballots left out of the export for privacy.`
          : 'All totals match.',
    details: r.totals.rows
      .filter((t) => t.status !== 'match')
      .slice(0, few)
      .map((t) => `${t.contest} / ${t.option}: CVR ${t.cvrVotes ?? '–'}, results ${t.resultVotes ?? '–'} (${t.status})`),
  });
  const uneven = r.batches.filter((b) => b.images !== null && b.images !== b.cvrRecords);
  // No image counted to any batch (none captured, names that say no batch, images inside a zip): nothing was compared.
  const uncounted = r.batches.length > 0 && r.batches.every((b) => b.images === null);
  checks.push({
    id: 'batches',
    name: 'Each batch has as many images as CVRs',
    state: r.batches.length === 0 || uncounted ? 'not-run' : uneven.length > 0 ? 'warn' : 'pass',
    summary:
      r.batches.length === 0
        ? 'No batches yet.'
        : uncounted
          ? `Not checked: no ballot image was counted to a batch (${noImages ? (imageZips.length > 0 ? 'the images are inside a zip' : 'no image captured yet') : 'their names do not say their batch'}).`
          : uneven.length === 0
            ? `${plural(r.batches.length, 'batch', 'batches')} all even.`
            : `${plural(uneven.length, 'batch', 'batches')} differ.`,
    details: uneven.slice(0, few).map((b) => `Tabulator ${b.tabulator}, batch ${b.batch}: ${plural(b.cvrRecords, 'CVR')}, ${plural(b.images ?? 0, 'image')}`),
  });
  return checks;
}

/**
 * Phase-1 checks from the importer's report. The report scans the catalog and the CVR tables,
 * so it is rebuilt at most every `maxAgeMs` (the page and the event stream ask often).
 */
export function importChecksFromReport(build: () => Phase1Report, maxAgeMs = 30_000, now: () => number = Date.now): ImportChecksProvider {
  let cached: { at: number; checks: Phase1Check[] } | undefined;
  return {
    list() {
      if (cached === undefined || now() - cached.at > maxAgeMs) cached = { at: now(), checks: checksFromReport(build()) };
      return cached.checks;
    },
  };
}
