/**
 * Maps a style's targets to contests and options from the printed text, independently of the
 * CVR: the text beside each target is read with tesseract.js (offline, `@tesseract.js-data/eng`)
 * once per style, and matched to the election's option names with a tolerant matcher. Targets
 * the matcher cannot place with confidence are returned unresolved for a person to map.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';
import type { GrayImage } from './image.ts';
import { type ContestDefinition, type Side, type TargetPosition, writeInOptionId } from './layout.ts';
import type { GridLocation } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { nameVariants, nameWords, textTowardName } from './nameMatch.ts';
import { unplacedReason } from './unplacedReason.ts';
import { hasRuleLeftOf, ruleUnderNameConfidence } from './writeInSlot.ts';

const require = createRequire(import.meta.url);

export interface OcrEngine {
  /** Text of a grey crop, one line or a few; `scale` enlarges small print (default: 2 for low crops). */
  read(img: GrayImage, x: number, y: number, width: number, height: number, scale?: number): Promise<string>;
  close(): Promise<void>;
}

/** One tesseract worker with the English model from the installed package (no network, no cache files). */
export async function createOcrEngine(): Promise<OcrEngine> {
  const eng = require('@tesseract.js-data/eng') as { langPath: string; gzip: boolean };
  const worker: Worker = await createWorker('eng', OEM.LSTM_ONLY, {
    langPath: eng.langPath,
    gzip: eng.gzip,
    cacheMethod: 'none',
  });
  // debug_file: tesseract's own complaints ("Image too small to scale!!") would otherwise go to the
  // terminal of whoever runs `ballotsafe preaudit`; an unreadable crop already comes back as no text.
  await worker.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_BLOCK, user_defined_dpi: '300', debug_file: '/dev/null' });
  return {
    async read(img, x, y, width, height, enlarge) {
      const left = Math.max(0, Math.round(x));
      const top = Math.max(0, Math.round(y));
      const w = Math.min(img.width - left, Math.round(width));
      const h = Math.min(img.height - top, Math.round(height));
      if (w < 4 || h < 4) return '';
      // Tesseract reads 20-40 px letters best: small scans are enlarged.
      const scale = enlarge ?? (h < 60 ? 2 : 1);
      const png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
        raw: { width: img.width, height: img.height, channels: 1 },
      })
        .extract({ left, top, width: w, height: h })
        .resize({ width: w * scale })
        .png()
        .toBuffer();
      const result = await worker.recognize(png);
      return result.data.text;
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

export function normalizeText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * How well OCR text contains a printed name, 0..1: the best edit-distance similarity of the name
 * against any same-length window of the text's words (OCR adds party lines and stray marks), the
 * text first brought toward the name (abbreviations, party labels: nameMatch.ts).
 */
export function nameSimilarity(text: string, name: string): number {
  return windowSimilarity(textTowardName(text, name), nameWords(name).join(' '));
}

/**
 * The same for a contest heading, which may be printed in two languages ("Governor / Gobernador"):
 * either part matches. Not for option names, where a slash joins a ticket's two candidates.
 */
export function headingSimilarity(text: string, title: string): number {
  return Math.max(...nameVariants(title).map((n) => nameSimilarity(text, n)));
}

function windowSimilarity(text: string, name: string): number {
  const t = normalizeText(text).split(' ').filter((w) => w.length > 0);
  const n = normalizeText(name);
  if (n.length === 0 || t.length === 0) return 0;
  const words = n.split(' ').length;
  let best = 0;
  for (let size = Math.max(1, words - 1); size <= words + 1; size++) {
    for (let i = 0; i + size <= t.length; i++) {
      const w = t.slice(i, i + size).join(' ');
      best = Math.max(best, 1 - levenshtein(w, n) / Math.max(w.length, n.length));
    }
  }
  return best;
}

/**
 * Similarity of a question's title within a block of text, where the numbers must agree:
 * "Article 4" and "Article 5" differ by one letter but are different questions.
 */
export function titleSimilarity(text: string, title: string): number {
  return Math.max(...nameVariants(title).map((n) => titleWindowSimilarity(textTowardName(text, n), n)));
}

function titleWindowSimilarity(text: string, title: string): number {
  const t = normalizeText(text).split(' ').filter((w) => w.length > 0);
  const n = normalizeText(title);
  if (n.length === 0 || t.length === 0) return 0;
  const digits = (s: string) =>
    s
      .split(' ')
      .filter((w) => /\d/.test(w))
      .join(' ');
  const want = digits(n);
  // OCR reads a "1" as "l" or "i", sometimes run into the word before ("Questionl"); only
  // considered where the title ends in a number.
  const digitsRead = (s: string) => (want !== '' && /\d$/.test(n) ? digits(s.replace(/(^| |[a-z])[li]$/, '$1 1')) : digits(s));
  const words = n.split(' ').length;
  let best = 0;
  for (let size = Math.max(1, words - 1); size <= words + 1; size++) {
    for (let i = 0; i + size <= t.length; i++) {
      const w = t.slice(i, i + size).join(' ');
      const sim = 1 - levenshtein(w, n) / Math.max(w.length, n.length);
      best = Math.max(best, digits(w) === want || digitsRead(w) === want ? sim : sim - 0.3);
    }
  }
  return best;
}

/** Targets of one printed column: learned dropout targets sit a fraction of a pitch off their grid column. */
function sameColumn(a: { readonly column: number }, b: { readonly column: number }): boolean {
  return Math.round(a.column) === Math.round(b.column);
}

/** Whether `inner`'s words appear together, in order, in `outer`. */
function containsWords(outer: string, inner: string): boolean {
  return ` ${normalizeText(outer)} `.includes(` ${normalizeText(inner)} `);
}

/** Similarity of the text to the first words (at least two) of a contest title. */
function titlePrefixSimilarity(text: string, title: string): number {
  const words = normalizeText(title).split(' ');
  let best = 0;
  for (let k = 2; k <= words.length; k++) best = Math.max(best, nameSimilarity(text, words.slice(0, k).join(' ')));
  return best;
}

export interface UnresolvedTarget extends GridLocation {
  readonly side: Side;
  readonly text: string;
  readonly reason: string;
}

export interface StyleMapping {
  readonly targets: TargetPosition[];
  readonly unresolved: UnresolvedTarget[];
  /** The weakest match that placed a target, 0..1 (1: every name read exactly; 0 while a target is unplaced). */
  readonly confidence: number;
}

const ACCEPT = 0.75;
const MARGIN = 0.08;

/**
 * Reads the text left of each target of one page and places it: a write-in line (its printed rule
 * first, whatever is read there; else the word "write" or a contest title on the line), an option
 * name, or a "Yes"/"No" of the page's only question.
 */
export async function mapTargetsByText(
  ocr: OcrEngine,
  img: GrayImage,
  grid: TimingMarkGrid,
  side: Side,
  locations: readonly GridLocation[],
  contests: readonly ContestDefinition[],
  options: {
    readonly textColumns?: number;
    /**
     * How the EMS numbers a contest's write-in lines: the sample-election family (and Dominion's
     * write-in candidate ids) top to bottom, AccuVote bottom to top.
     */
    readonly writeInOrder?: 'top-down' | 'bottom-up';
    /** Read from the column of targets to the left instead of `textColumns` pitches (option text far from its oval). */
    readonly textFromPreviousColumn?: boolean;
  } = {},
): Promise<StyleMapping> {
  const textColumns = options.textColumns ?? 6.5;
  const writeInOrder = options.writeInOrder ?? 'top-down';
  const targets: TargetPosition[] = [];
  const unresolved: UnresolvedTarget[] = [];
  const names = contests.flatMap((c) => c.options.map((o) => ({ contest: c, option: o })));
  const questions = contests.filter((c) => c.options.length === 2 && c.options.every((o) => /^(yes|no)$/i.test(o.name)));
  const writeInLines: { loc: GridLocation; contest: ContestDefinition }[] = [];
  // Write-in lines labelled with only the start of a contest title, or with no title read and no
  // option above them: placed by the rows of the options read (an AccuVote write-in sits on the
  // rows of its contest).
  const pendingByRow: { loc: GridLocation; text: string; titled: boolean }[] = [];
  // Yes/No targets when the page holds several questions: placed by the question title above them.
  const pendingYesNo: { loc: GridLocation; answer: string; text: string }[] = [];
  // Names printed in more than one contest: placed by the contest of their neighbours.
  const pendingShared: { loc: GridLocation; text: string; choices: { contest: ContestDefinition; option: { id: string; name: string } }[] }[] = [];
  const sorted = [...locations].sort((a, b) => a.column - b.column || a.row - b.row);
  let weakest = 1;
  // Left edge of a target's text column: just right of the nearest column of targets to its left.
  const leftEdge = (loc: GridLocation) =>
    grid.pointFor(sorted.filter((l) => Math.round(l.column) < Math.round(loc.column)).reduce((m, l) => Math.max(m, l.column), 0), loc.row).x + grid.columnPitch * 0.6;
  // Dominion: an option's text runs from the column of targets to its left (or the page's left
  // marks) to its oval; a Yes/No answer sits at the far left of a full-width box.
  const textStart = (loc: GridLocation) => {
    const previous = sorted.filter((l) => Math.round(l.column) < Math.round(loc.column)).reduce((m, l) => Math.max(m, l.column), -1);
    return previous < 0 ? grid.pointFor(0, loc.row).x - grid.columnPitch * 0.6 : grid.pointFor(previous, loc.row).x + grid.columnPitch * 0.5;
  };
  // A write-in line names its contest (AccuVote) or just says "write-in" (then the contest is
  // the one whose options sit just above it in the same column).
  const writeInTitle = (text: string) => {
    const titles = contests
      .filter((c) => c.allowWriteIns)
      .map((c) => ({ c, score: headingSimilarity(text, c.title), prefix: titlePrefixSimilarity(text, c.title) }))
      .sort((a, b) => b.score - a.score);
    const titled = titles[0];
    const titledContest =
      titled !== undefined && titled.score >= ACCEPT && (titles[1] === undefined || titled.score - titles[1].score >= MARGIN) ? titled.c : undefined;
    return { titled, titledContest, titlePrefix: titles.some((t) => t.prefix >= ACCEPT) };
  };
  // Places a write-in line in its contest: the one its label names, else by position (after the
  // loop), the contest whose options are printed above it in its column (Dominion) or on its rows (AccuVote).
  const placeWriteInLine = (loc: GridLocation, text: string) => {
    const { titled, titledContest, titlePrefix } = writeInTitle(text);
    if (titledContest !== undefined) {
      weakest = Math.min(weakest, titled?.score ?? 1);
      writeInLines.push({ loc, contest: titledContest });
      return;
    }
    // Only the start of a title read (several contests begin alike): its rows tell which.
    if (titlePrefix) {
      pendingByRow.push({ loc, text, titled: true });
      return;
    }
    // By position once every option is placed (names shared by two contests are placed last).
    pendingByRow.push({ loc, text, titled: false });
  };
  for (const loc of sorted) {
    const p = grid.pointFor(loc.column, loc.row);
    const x1 = p.x - grid.columnPitch * 0.45;
    const x0 = options.textFromPreviousColumn === true ? textStart(loc) : x1 - grid.columnPitch * textColumns;
    const text = await ocr.read(img, x0, p.y - grid.rowPitch * 0.55, x1 - x0, grid.rowPitch * 1.6);
    const scored = names
      .map((n) => ({ ...n, score: nameSimilarity(text, n.option.name) }))
      .filter((n) => !/^(yes|no)$/i.test(n.option.name))
      // Of names read equally well, the longer: "Chocolate Chip" holds "Chocolate" whole.
      .sort((a, b) => b.score - a.score || normalizeText(b.option.name).length - normalizeText(a.option.name).length);
    const best = scored[0];
    // A name that is part of the best one read whole is no rival ("Chocolate" beside "Chocolate Chip").
    const rival = scored.find(
      (s) => best !== undefined && normalizeText(s.option.name) !== normalizeText(best.option.name) && !(best.score >= 0.99 && containsWords(best.option.name, s.option.name)),
    );
    const words = normalizeText(text).split(' ');
    const named = best !== undefined && best.score >= ACCEPT && (rival === undefined || best.score - rival.score >= MARGIN);
    // A write-in line by its shape; the text only names its contest (writeInSlot.ts: rule over name).
    if (hasRuleLeftOf(img, grid, loc)) {
      weakest = Math.min(weakest, ruleUnderNameConfidence(named ? best?.score : undefined));
      placeWriteInLine(loc, text);
      continue;
    }
    if (best !== undefined && named) {
      weakest = Math.min(weakest, best.score);
      const same = scored.filter((n) => n.score >= best.score - 0.02 && normalizeText(n.option.name) === normalizeText(best.option.name));
      if (new Set(same.map((n) => n.contest.id)).size > 1) {
        pendingShared.push({ loc, text, choices: same.map((n) => ({ contest: n.contest, option: n.option })) });
        continue;
      }
      targets.push({ side, column: loc.column, row: loc.row, contestId: best.contest.id, optionId: best.option.id, isWriteIn: false });
      continue;
    }
    const { titledContest, titlePrefix } = writeInTitle(text);
    // "Yes"/"No" are printed right beside their ovals; a wide crop may catch the question's text.
    // The narrow crop is read only when the wide one names no write-in contest: across an empty
    // write-in line whose rule was not found OCR makes up short words ("No BNE"), and one may be "no".
    const near =
      words.includes('yes') || words.includes('no') || titledContest !== undefined
        ? words
        : normalizeText(await ocr.read(img, x1 - grid.columnPitch * 1.6, p.y - grid.rowPitch * 0.55, grid.columnPitch * 1.6, grid.rowPitch * 1.1)).split(' ');
    const yesNo = near.includes('yes') ? 'yes' : near.includes('no') ? 'no' : undefined;
    if (yesNo !== undefined && questions.length === 1) {
      const q = questions[0]!;
      const option = q.options.find((o) => normalizeText(o.name) === yesNo);
      if (option !== undefined) {
        targets.push({ side, column: loc.column, row: loc.row, contestId: q.id, optionId: option.id, isWriteIn: false });
        continue;
      }
    }
    if (yesNo !== undefined && questions.length > 1) {
      pendingYesNo.push({ loc, answer: yesNo, text });
      continue;
    }
    // No rule found (a faint or broken print): a contest title or the word "write" read beside the
    // target still makes it a write-in line.
    if (titledContest !== undefined || titlePrefix || words.some((w) => w.startsWith('write'))) {
      placeWriteInLine(loc, text);
      continue;
    }
    unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: unplacedReason(text, best, rival, ACCEPT, 'target') });
  }
  // A question's answers follow its title and text in the same column: the first answer of a run
  // reads the block between the target above it and itself; the next answers join its question.
  let lastQuestion: { column: number; row: number; contest: ContestDefinition } | undefined;
  for (const { loc, answer, text } of pendingYesNo) {
    let question: ContestDefinition | undefined;
    if (lastQuestion !== undefined && sameColumn(lastQuestion, loc) && loc.row - lastQuestion.row <= 3) {
      question = lastQuestion.contest;
    } else {
      const above = sorted.filter((l) => sameColumn(l, loc) && l.row < loc.row).reduce((m, l) => Math.max(m, l.row), 0);
      const top = grid.pointFor(loc.column, above);
      const p = grid.pointFor(loc.column, loc.row);
      const x0 = leftEdge(loc);
      // Enlarged on low-resolution scans: a question's number is one character, and it is what tells the questions apart.
      const block = await ocr.read(img, x0, top.y + grid.rowPitch * 0.5, p.x - grid.columnPitch * 0.45 - x0, p.y - top.y - grid.rowPitch * 0.5, grid.rowPitch < 45 ? 2 : 1);
      const scoredQ = questions.map((q) => ({ q, score: titleSimilarity(block, q.title) })).sort((a, b) => b.score - a.score);
      const bestQ = scoredQ[0];
      if (bestQ !== undefined && bestQ.score >= ACCEPT && (scoredQ[1] === undefined || bestQ.score - scoredQ[1].score >= MARGIN)) {
        question = bestQ.q;
        weakest = Math.min(weakest, bestQ.score);
      }
      else {
        unresolved.push({ side, column: loc.column, row: loc.row, text: `${block.trim()}\n${text.trim()}`, reason: `"${answer}" of a question whose title was not recognised` });
        lastQuestion = undefined;
        continue;
      }
    }
    lastQuestion = { column: loc.column, row: loc.row, contest: question };
    const option = question.options.find((o) => normalizeText(o.name) === answer);
    if (option !== undefined) targets.push({ side, column: loc.column, row: loc.row, contestId: question.id, optionId: option.id, isWriteIn: false });
    else unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: `"${answer}" is not an answer of ${question.title}` });
  }
  for (const { loc, text, choices } of pendingShared) {
    const contestIds = new Set(choices.map((c) => c.contest.id));
    const neighbours = targets
      .filter((t) => !t.isWriteIn && sameColumn(t, loc) && Math.abs(t.row - loc.row) <= 4 && contestIds.has(t.contestId))
      .sort((a, b) => Math.abs(a.row - loc.row) - Math.abs(b.row - loc.row));
    const pick = neighbours[0] === undefined ? undefined : choices.find((c) => c.contest.id === neighbours[0]!.contestId);
    if (pick !== undefined) targets.push({ side, column: loc.column, row: loc.row, contestId: pick.contest.id, optionId: pick.option.id, isWriteIn: false });
    else unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: `"${choices[0]?.option.name ?? ''}" is printed in ${contestIds.size} contests and no neighbour tells which` });
  }
  for (const { loc, text, titled } of pendingByRow) {
    // With no title read: the contest of the option printed just above in the column (Dominion);
    // rows tell the contest only in a column of write-in lines (AccuVote's): beside a column of
    // options a row holds another contest's names.
    const above = titled ? undefined : targets.filter((t) => !t.isWriteIn && sameColumn(t, loc) && t.row < loc.row).sort((a, b) => b.row - a.row)[0];
    const inOptionColumn = !titled && targets.some((t) => !t.isWriteIn && sameColumn(t, loc));
    const near =
      above ??
      (inOptionColumn
        ? undefined
        : targets.filter((t) => !t.isWriteIn && Math.abs(t.row - loc.row) <= 3).sort((a, b) => Math.abs(a.row - loc.row) - Math.abs(b.row - loc.row))[0]);
    const contest = near === undefined ? undefined : contests.find((c) => c.id === near.contestId && c.allowWriteIns);
    if (contest !== undefined) writeInLines.push({ loc, contest });
    else unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: 'write-in line of no contest nearby' });
  }
  // Write-in lines of one contest are numbered in the EMS's order.
  const byContest = new Map<string, GridLocation[]>();
  for (const w of writeInLines) byContest.set(w.contest.id, [...(byContest.get(w.contest.id) ?? []), w.loc]);
  for (const [contestId, locs] of byContest) {
    locs.sort((a, b) => (writeInOrder === 'top-down' ? a.row - b.row : b.row - a.row));
    locs.forEach((loc, i) => targets.push({ side, column: loc.column, row: loc.row, contestId, optionId: writeInOptionId(i), isWriteIn: true }));
  }
  return { targets, unresolved, confidence: unresolved.length > 0 ? 0 : weakest };
}
