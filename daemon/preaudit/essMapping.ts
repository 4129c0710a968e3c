/**
 * Maps the targets of one ES&S-design page to contests and options from the printed text. ES&S
 * prints each oval to the LEFT of its option's name (the party on the line below), write-in lines
 * as a rule running right from the oval, and each contest's title, "Vote for" line and a
 * question's text over a shaded header band; the band's halftone dots are removed before OCR
 * (halftone.ts). A target the matcher cannot place with confidence is returned unresolved (the
 * style then goes to a person), never guessed.
 */
import type { GrayImage } from './image.ts';
import { type ContestDefinition, type Side, type TargetPosition, writeInOptionId } from './layout.ts';
import { nameSimilarity, normalizeText, titleSimilarity, type OcrEngine, type StyleMapping, type UnresolvedTarget } from './ocr.ts';
import { strokeSquareAt, withoutHalftone } from './halftone.ts';
import type { GridLocation } from './targets.ts';
import { hasRuleRightOf, ruleUnderNameConfidence } from './writeInSlot.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { unplacedReason } from './unplacedReason.ts';

const ACCEPT = 0.75;
const MARGIN = 0.08;
/** ES&S pages are 8½ in wide: the scan's dpi from its width. */
const PAPER_WIDTH_IN = 8.5;
/** The most rows (dash pitches) above an answer a question's header and text are read from. */
const MAX_QUESTION_ROWS = 34;

type Choice = { contest: ContestDefinition; option: { id: string; name: string } };

/** Targets of one printed column of contests. */
const sameColumn = (a: GridLocation, b: GridLocation) => Math.abs(a.column - b.column) < 1.5;

/** Reads the text right of each target of one ES&S page and places it. */
export async function mapEssTargetsByText(
  ocr: OcrEngine,
  img: GrayImage,
  grid: TimingMarkGrid,
  side: Side,
  locations: readonly GridLocation[],
  contests: readonly ContestDefinition[],
): Promise<StyleMapping> {
  const targets: TargetPosition[] = [];
  const unresolved: UnresolvedTarget[] = [];
  const names = contests.flatMap((c) => c.options.map((o) => ({ contest: c, option: o }))).filter((n) => !/^(yes|no)$/i.test(n.option.name));
  const questions = contests.filter((c) => c.options.length > 0 && c.options.every((o) => /^(yes|no)$/i.test(o.name)));
  const sorted = [...locations].sort((a, b) => a.column - b.column || a.row - b.row);
  const pendingYesNo: { loc: GridLocation; answer: 'yes' | 'no'; text: string }[] = [];
  const pendingShared: { loc: GridLocation; text: string; choices: Choice[] }[] = [];
  const writeIns: GridLocation[] = [];
  let weakest = 1;
  // A name runs from just right of its oval to the next column of targets (or the border).
  // `fromRow`: a crop over many rows ends where the page's tilt brings that edge nearest.
  const textEnd = (loc: GridLocation, fromRow = loc.row) => {
    const next = sorted.filter((l) => l.column > loc.column + 1.5).reduce((m, l) => Math.min(m, l.column), grid.columns - 1);
    const x = Math.min(grid.pointFor(next, loc.row).x, grid.pointFor(next, fromRow).x);
    return x - grid.columnPitch * (next === grid.columns - 1 ? 0.6 : 1.2);
  };
  for (const loc of sorted) {
    const p = grid.pointFor(loc.column, loc.row);
    const x0 = p.x + grid.columnPitch * 0.9;
    // The name's line and the party's line under it (the next option starts two rows down).
    const text = await ocr.read(img, x0, p.y - grid.rowPitch * 1.1, textEnd(loc) - x0, grid.rowPitch * 2.6);
    const words = normalizeText(text).split(' ');
    const scored = names
      .map((n) => ({ ...n, score: nameSimilarity(text, n.option.name) }))
      .sort((a, b) => b.score - a.score || normalizeText(b.option.name).length - normalizeText(a.option.name).length);
    const best = scored[0];
    const rival = scored.find((s) => best !== undefined && normalizeText(s.option.name) !== normalizeText(best.option.name) && !(best.score >= 0.99 && ` ${normalizeText(best.option.name)} `.includes(` ${normalizeText(s.option.name)} `)));
    const named = best !== undefined && best.score >= ACCEPT && (rival === undefined || best.score - rival.score >= MARGIN);
    // A write-in line by its shape, a printed rule running right from the oval, whatever is read
    // there (writeInSlot.ts: the rule wins over a name, and the doubt shows in the confidence).
    if (hasRuleRightOf(img, grid, loc)) {
      weakest = Math.min(weakest, ruleUnderNameConfidence(named ? best?.score : undefined));
      writeIns.push(loc);
      continue;
    }
    if (best !== undefined && named) {
      weakest = Math.min(weakest, best.score);
      const same = scored.filter((n) => n.score >= best.score - 0.02 && normalizeText(n.option.name) === normalizeText(best.option.name));
      if (new Set(same.map((n) => n.contest.id)).size > 1) pendingShared.push({ loc, text, choices: same });
      else targets.push({ side, column: loc.column, row: loc.row, contestId: best.contest.id, optionId: best.option.id, isWriteIn: false });
      continue;
    }
    // "Yes" / "No" alone beside the oval: a question's answer, placed by the title above it. The
    // wide crop can catch the shaded header's edge or a voter's mark: the word is read on its own.
    const near = ((words[0] === 'yes' || words[0] === 'no') && words.length <= 2) || questions.length === 0 ? words : normalizeText(await ocr.read(img, x0, p.y - grid.rowPitch * 0.8, grid.columnPitch * 3, grid.rowPitch * 1.6, 3)).split(' ');
    const answer = near[0] === 'yes' ? 'yes' : near[0] === 'no' ? 'no' : undefined;
    if (answer !== undefined && questions.length > 0 && near.length <= 2) {
      pendingYesNo.push({ loc, answer, text });
      continue;
    }
    unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: unplacedReason(text, best, rival, ACCEPT, 'oval') });
  }
  // A question's answers follow its shaded header in the same column: the first answer of a run
  // reads the header between the target above it and itself; the next answer joins its question.
  const dpi = img.width / PAPER_WIDTH_IN;
  let last: { loc: GridLocation; question: ContestDefinition } | undefined;
  for (const { loc, answer, text } of pendingYesNo) {
    let question: ContestDefinition | undefined;
    if (last !== undefined && sameColumn(last.loc, loc) && loc.row - last.loc.row <= 6) question = last.question;
    else {
      const aboveRow = sorted.filter((l) => sameColumn(l, loc) && l.row < loc.row).reduce((m, l) => Math.max(m, l.row), 0);
      const fromRow = Math.max(aboveRow + 1, loc.row - MAX_QUESTION_ROWS, 1);
      const top = grid.pointFor(loc.column, fromRow);
      const p = grid.pointFor(loc.column, loc.row);
      const x0 = p.x - grid.columnPitch * 1.8;
      const width = textEnd(loc, fromRow) - x0;
      const height = p.y - grid.rowPitch * 0.8 - top.y;
      const cleaned = withoutHalftone(img, x0, top.y, width, height, grid.threshold, strokeSquareAt(dpi));
      // Read as scanned and enlarged twice: a digit misread in one reading ("9" as "8") shows as
      // two readings naming different questions, and then a person decides.
      const picks: { q: ContestDefinition; score: number }[] = [];
      let block = '';
      for (const scale of [1, 2]) {
        const read = await ocr.read(cleaned, 0, 0, cleaned.width, cleaned.height, scale);
        block ||= read;
        const scoredQ = questions.map((q) => ({ q, score: titleSimilarity(read, q.title) })).sort((a, b) => b.score - a.score);
        const first = scoredQ[0];
        if (first !== undefined && first.score >= ACCEPT && (scoredQ[1] === undefined || first.score - scoredQ[1].score >= MARGIN)) picks.push(first);
      }
      const named = new Set(picks.map((q) => q.q.id));
      const bestQ = named.size === 1 ? picks.sort((a, b) => a.score - b.score)[0] : undefined;
      if (bestQ === undefined) {
        const reason = named.size > 1 ? `"${answer}" of a question whose title was read as ${picks.map((q) => `"${q.q.title}"`).join(' and as ')}` : `"${answer}" of a question whose title was not recognised`;
        unresolved.push({ side, column: loc.column, row: loc.row, text: `${block.trim()}\n${text.trim()}`, reason });
        last = undefined;
        continue;
      }
      question = bestQ.q;
      weakest = Math.min(weakest, bestQ.score);
    }
    last = { loc, question };
    const option = question.options.find((o) => normalizeText(o.name) === answer);
    if (option !== undefined) targets.push({ side, column: loc.column, row: loc.row, contestId: question.id, optionId: option.id, isWriteIn: false });
    else unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: `"${answer}" is not an answer of ${question.title}` });
  }
  // A question is printed once on a page: two runs of answers read as one question are a misread title.
  const runsOf = new Map<string, Set<number>>();
  for (const t of targets) if (questions.some((q) => q.id === t.contestId)) runsOf.set(t.contestId, new Set([...(runsOf.get(t.contestId) ?? []), Math.round(t.column)]));
  for (const [id, columns] of runsOf) {
    const answers = targets.filter((t) => t.contestId === id);
    const question = questions.find((q) => q.id === id);
    if (columns.size === 1 && answers.length <= (question?.options.length ?? 2)) continue;
    for (const t of answers) {
      targets.splice(targets.indexOf(t), 1);
      unresolved.push({ side, column: t.column, row: t.row, text: t.optionId, reason: `"${question?.title ?? id}" was read above more than one set of answers` });
    }
  }
  // A name printed in two contests: the contest of its nearest placed neighbour in the column.
  for (const { loc, text, choices } of pendingShared) {
    const ids = new Set(choices.map((c) => c.contest.id));
    const near = targets.filter((t) => !t.isWriteIn && sameColumn(t, loc) && Math.abs(t.row - loc.row) <= 8 && ids.has(t.contestId)).sort((a, b) => Math.abs(a.row - loc.row) - Math.abs(b.row - loc.row))[0];
    const pick = near === undefined ? undefined : choices.find((c) => c.contest.id === near.contestId);
    if (pick !== undefined) targets.push({ side, column: loc.column, row: loc.row, contestId: pick.contest.id, optionId: pick.option.id, isWriteIn: false });
    else unresolved.push({ side, column: loc.column, row: loc.row, text: text.trim(), reason: `"${choices[0]?.option.name ?? ''}" is printed in ${ids.size} contests and no neighbour tells which` });
  }
  // A write-in line belongs to the contest whose options are printed just above it in its column.
  const byContest = new Map<string, GridLocation[]>();
  for (const loc of writeIns) {
    const above = targets.filter((t) => !t.isWriteIn && sameColumn(t, loc) && t.row < loc.row).sort((a, b) => b.row - a.row)[0];
    const contest = above === undefined ? undefined : contests.find((c) => c.id === above.contestId);
    // Write-in lines follow the options and each other: a gap of a header between them is another contest.
    const between = sorted.filter((l) => sameColumn(l, loc) && above !== undefined && l.row > above.row && l.row < loc.row);
    const onlyWriteIns = between.every((l) => writeIns.includes(l));
    // The printed rule is the evidence: an ES&S CVR names a contest's write-in only when a voter used it.
    if (contest === undefined || !onlyWriteIns) {
      unresolved.push({ side, column: loc.column, row: loc.row, text: 'write-in line', reason: 'write-in line of no contest above it' });
      continue;
    }
    byContest.set(contest.id, [...(byContest.get(contest.id) ?? []), loc]);
  }
  for (const [contestId, locs] of byContest) {
    locs.sort((a, b) => a.row - b.row);
    locs.forEach((loc, i) => targets.push({ side, column: loc.column, row: loc.row, contestId, optionId: writeInOptionId(i), isWriteIn: true }));
  }
  return { targets, unresolved, confidence: unresolved.length > 0 ? 0 : weakest };
}
