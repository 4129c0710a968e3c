/**
 * A hand mapping written in a file (`ballotsafe preaudit --mapping <file>`): for a ballot style the
 * OCR matcher could not map, which contest option each target is. CSV (one target a line) or JSON;
 * checked here line by line, errors name the line in plain words. Contests and options may be given
 * by their id or by their name as the election definition spells it; "write-in" is a write-in line;
 * an empty contest and option say the target is not a voting target.
 *
 * CSV columns (header line first; other columns, like `text_read`, are ignored):
 *   style,side,column,row,contest,option
 * JSON: { "styles": [ { "style": "...", "targets": [ { "side", "column", "row", "contest", "option" } ] } ] }
 *
 * Pure: text in, rows or a message out; resolving names against a style's form is `resolveMapping`.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { Side } from './layout.ts';
import { normalizeText } from './ocr.ts';
import { type HandAssignment, WRITE_IN_CHOICE } from './service.ts';
import type { StyleMappingForm } from './webApi.ts';

/** One target's line of a mapping file, names not yet checked against the election definition. */
export interface MappingLine {
  /** Where it was written, for messages ("line 12", "style 1, target 3"). */
  readonly where: string;
  readonly style: string;
  readonly side: Side;
  readonly column: number;
  readonly row: number;
  /** null: not a voting target. */
  readonly contest: string | null;
  readonly option: string | null;
}

const fix = 'Correct that line of the mapping file and run the pre-audit again.';
const bad = (message: string) => err(operatorError('preaudit-mapping-file-invalid', message, fix));

const blankToNull = (v: string | null | undefined) => (v === undefined || v === null || v.trim() === '' ? null : v.trim());

const lineSchema = z.object({
  side: z.string().transform((s, ctx) => {
    const side = s.trim().toLowerCase();
    if (side === 'front' || side === 'back') return side;
    ctx.addIssue({ code: 'custom', message: `the side must be "front" or "back", not "${s}"` });
    return z.NEVER;
  }),
  column: z.coerce.number({ message: 'the column must be a whole number' }).int('the column must be a whole number').min(0, 'the column cannot be below 0'),
  row: z.coerce.number({ message: 'the row must be a whole number' }).int('the row must be a whole number').min(0, 'the row cannot be below 0'),
  contest: z.string().nullish(),
  option: z.string().nullish(),
});

const jsonSchema = z
  .object({
    styles: z.array(z.object({ style: z.string().min(1, 'a style needs its name'), targets: z.array(z.unknown()) }).strict()).min(1, 'the file maps no style'),
  })
  .strict();

function lineFrom(where: string, style: string, raw: unknown): Result<MappingLine> {
  const parsed = lineSchema.safeParse(raw);
  if (!parsed.success) return bad(`${where}: ${parsed.error.issues.map((i) => (i.path.length > 0 && !i.message.startsWith('the ') ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}.`);
  const contest = blankToNull(parsed.data.contest);
  const option = blankToNull(parsed.data.option);
  if ((contest === null) !== (option === null)) {
    return bad(`${where}: give both a contest and an option, or leave both empty when the target is not a voting target.`);
  }
  return ok({ where, style: style.trim(), side: parsed.data.side, column: parsed.data.column, row: parsed.data.row, contest, option });
}

function parseCsvMapping(text: string): Result<MappingLine[]> {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), skip_empty_lines: true, comment: '#', comment_no_infix: true, info: true, relax_column_count: true, bom: true });
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    return bad(`The mapping file is not a readable CSV file${line === undefined ? '' : ` (near line ${line})`}: a quote may be left open.`);
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  const columns = header.split(',').map((c) => c.trim().toLowerCase());
  const missing = ['style', 'side', 'column', 'row', 'contest', 'option'].filter((c) => !columns.includes(c));
  if (missing.length > 0) return bad(`The first line of the mapping file must name the columns style, side, column, row, contest and option; ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.`);
  const lines: MappingLine[] = [];
  for (const { record, info } of records) {
    const where = `Line ${info.lines}`;
    const style = record['style'] ?? '';
    if (style.trim() === '') return bad(`${where}: the style is empty.`);
    const line = lineFrom(where, style, record);
    if (!line.ok) return line;
    lines.push(line.value);
  }
  return ok(lines);
}

function parseJsonMapping(text: string): Result<MappingLine[]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return bad(`The mapping file is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  const parsed = jsonSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return bad(`The mapping file does not have the expected shape${i === undefined ? '' : ` (${i.path.length > 0 ? `at ${i.path.join('.')}: ` : ''}${i.message})`}: it must be { "styles": [ { "style": ..., "targets": [ ... ] } ] }.`);
  }
  const lines: MappingLine[] = [];
  for (const [s, style] of parsed.data.styles.entries()) {
    for (const [t, target] of style.targets.entries()) {
      const line = lineFrom(`Style ${s + 1} (${style.style}), target ${t + 1}`, style.style, target);
      if (!line.ok) return line;
      lines.push(line.value);
    }
  }
  return ok(lines);
}

/** Reads a mapping file's text (JSON when it starts with `{`, else CSV). */
export function parseMappingFile(text: string): Result<MappingLine[]> {
  const lines = text.trimStart().startsWith('{') ? parseJsonMapping(text) : parseCsvMapping(text);
  if (!lines.ok) return lines;
  if (lines.value.length === 0) return bad('The mapping file maps no target.');
  const seen = new Map<string, string>();
  for (const l of lines.value) {
    const k = `${normalizeText(l.style)}|${l.side}|${l.column}|${l.row}`;
    const first = seen.get(k);
    if (first !== undefined) return bad(`${l.where}: the ${l.side} target at column ${l.column}, row ${l.row} of this style was already given (${first.toLowerCase()}).`);
    seen.set(k, l.where);
  }
  return lines;
}

/** Whether a mapping line names this style (by its id or by what the ballot prints). */
export function namesStyle(line: MappingLine, form: Pick<StyleMappingForm, 'styleId' | 'printed'>): boolean {
  const n = normalizeText(line.style);
  return line.style === form.styleId || n === normalizeText(form.styleId) || n === normalizeText(form.printed);
}

/** A style's lines as the pre-audit's hand assignments: contests and options by id or by name. */
export function resolveMapping(lines: readonly MappingLine[], form: StyleMappingForm): Result<HandAssignment[]> {
  const out: HandAssignment[] = [];
  for (const l of lines) {
    if (l.contest === null || l.option === null) {
      out.push({ side: l.side, column: l.column, row: l.row, choice: null });
      continue;
    }
    const wanted = normalizeText(l.contest);
    const contest = form.contests.find((c) => c.id === l.contest) ?? form.contests.find((c) => normalizeText(c.title) === wanted || normalizeText(c.id) === wanted);
    if (contest === undefined) {
      return bad(`${l.where}: the election definition has no contest called "${l.contest}". Use a contest's name as the definition spells it (for example "${form.contests[0]?.title ?? ''}").`);
    }
    const optionWanted = normalizeText(l.option);
    const option =
      contest.options.find((o) => o.id === l.option) ??
      contest.options.find((o) => normalizeText(o.name) === optionWanted || normalizeText(o.id) === optionWanted) ??
      (/^write ?in( line)?$/.test(optionWanted) ? contest.options.find((o) => o.id === WRITE_IN_CHOICE) : undefined);
    if (option === undefined) {
      const names = contest.options.map((o) => (o.id === WRITE_IN_CHOICE ? 'write-in' : o.name));
      return bad(`${l.where}: "${contest.title}" has no option called "${l.option}". Its options are: ${names.join(', ')}.`);
    }
    out.push({ side: l.side, column: l.column, row: l.row, choice: { contestId: contest.id, optionId: option.id } });
  }
  return ok(out);
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * A mapping file to fill in for the styles waiting for a person: every target, with the matcher's
 * placement where it made one and what OCR read beside the others (`text_read`, not read back).
 */
export function mappingTemplateCsv(forms: readonly StyleMappingForm[]): string {
  const rows = [['style', 'side', 'column', 'row', 'contest', 'option', 'text_read'].join(',')];
  for (const f of forms) {
    const title = new Map(f.contests.map((c) => [c.id, c]));
    for (const t of f.targets) {
      const c = t.current === null ? undefined : title.get(t.current.contestId);
      const o = t.current === null ? undefined : c?.options.find((x) => x.id === t.current?.optionId);
      const option = o === undefined ? '' : o.id === WRITE_IN_CHOICE ? 'write-in' : o.name;
      rows.push([f.styleId, t.side, t.column, t.row, c?.title ?? '', option, t.text ?? ''].map(csvCell).join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}
