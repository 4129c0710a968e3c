import { readFile, stat } from 'node:fs/promises';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { err, ok, type Result } from '../core/result.ts';
import { decodeBuffer } from './encoding.ts';
import { internalParseError, parseError } from './errors.ts';
import type { CvrSink, NormalizedContest, NormalizedContestStatus, NormalizedOption, NormalizedVote } from './model.ts';

/**
 * Hart Verity CVR XML: one file per ballot sheet (<Cvr xmlns="http://tempuri.org/CVRDesign.xsd">)
 * with Contests/Contest (Name, Id, Options/Option with Name, Id, Value; Undervotes; flags such as
 * <Overvoted/>), BatchSequence, SheetNumber, PrecinctSplit/Name, BatchNumber and CvrGuid. An
 * option's Value is "1", or for ranked-choice a string with one digit per rank ("010000": rank 2).
 */
interface Node {
  readonly name: string;
  readonly children: Node[];
  text: string;
}

export function isHartCvrHead(text: string): boolean {
  return /CVRDesign\.xsd/.test(text) || /<Cvr[\s>]/.test(text);
}

const maxBytes = 16 * 1024 * 1024;

function tree(text: string): Node | Error {
  const parser = new SaxesParser({ xmlns: false });
  const stack: Node[] = [];
  let root: Node | undefined;
  let failure: Error | undefined;
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const node: Node = { name: tag.name.slice(tag.name.indexOf(':') + 1), children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent === undefined) root = node;
    else parent.children.push(node);
    stack.push(node);
  });
  parser.on('text', (t: string) => {
    const top = stack[stack.length - 1];
    if (top !== undefined) top.text += t;
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('error', (e: Error) => {
    failure ??= e;
  });
  parser.write(text.replace(/^\uFEFF/, '')).close();
  return failure ?? root ?? new Error('no elements');
}

const child = (n: Node | undefined, name: string): Node | undefined => n?.children.find((c) => c.name === name);
const textOf = (n: Node | undefined, name: string): string | null => {
  const t = child(n, name)?.text.trim();
  return t === undefined || t === '' ? null : t;
};

export interface HartCvrSummary {
  readonly records: number;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly warnings: readonly string[];
}

export async function parseHartCvr(path: string, file: string, sink: CvrSink): Promise<Result<HartCvrSummary>> {
  try {
    const size = (await stat(path)).size;
    if (size > maxBytes) return err(parseError('import-too-large', file, undefined, `a Hart CVR file under ${maxBytes / 1048576} MB (one ballot per file)`, `${size} bytes`));
    const root = tree(decodeBuffer(await readFile(path)).text);
    if (root instanceof Error) return err(parseError('import-bad-hart-xml', file, undefined, 'well-formed XML', root.message.split('\n')[0]));
    if (root.name !== 'Cvr') return err(parseError('import-bad-hart-xml', file, 'the root element', 'a Hart <Cvr>', `<${root.name}>`));
    const contests: NormalizedContest[] = [];
    const options: NormalizedOption[] = [];
    const votes: NormalizedVote[] = [];
    const status: NormalizedContestStatus[] = [];
    for (const [ci, c] of (child(root, 'Contests')?.children ?? []).filter((x) => x.name === 'Contest').entries()) {
      const key = textOf(c, 'Id') ?? textOf(c, 'Name');
      if (key === null) return err(parseError('import-bad-hart-xml', file, `Contests/Contest[${ci + 1}]`, 'an <Id> or <Name>'));
      const overvoted = child(c, 'Overvoted') !== undefined;
      let ranks = 1;
      for (const [oi, o] of (child(c, 'Options')?.children ?? []).filter((x) => x.name === 'Option').entries()) {
        const optionKey = textOf(o, 'Id') ?? textOf(o, 'Name') ?? '(write-in)';
        const value = textOf(o, 'Value') ?? '';
        if (!/^[01]{1,100}$/.test(value)) return err(parseError('import-bad-hart-xml', file, `contest "${textOf(c, 'Name') ?? key}", option ${oi + 1} <Value>`, '1, 0 or one digit per rank', JSON.stringify(value.slice(0, 20))));
        ranks = Math.max(ranks, value.length);
        const isWriteIn = child(o, 'WriteInData') !== undefined;
        options.push({ contestKey: key, key: optionKey, name: textOf(o, 'Name') ?? 'Write-in', party: null, type: isWriteIn ? 'Writein' : null });
        [...value].forEach((digit, i) => {
          // An overvoted contest counts for no one; the marks are kept as not counted.
          if (digit === '1') votes.push({ contestKey: key, optionKey, rank: i + 1, isVote: !overvoted, isAmbiguous: false, markDensity: null });
        });
      }
      contests.push({ key, name: textOf(c, 'Name') ?? key, voteFor: null, numRanks: ranks > 1 ? ranks : null });
      const under = textOf(c, 'Undervotes');
      const flags = c.children.filter((x) => x.children.length === 0 && x.text.trim() === '' && x.name !== 'Options').map((x) => x.name);
      if (under !== null || flags.length > 0) {
        status.push({ contestKey: key, undervotes: under === null || !/^\d+$/.test(under) ? null : Number(under), overvotes: overvoted ? 1 : null, conditions: flags });
      }
    }
    const guid = textOf(root, 'CvrGuid');
    sink.record({
      tabulator: null,
      batch: textOf(root, 'BatchNumber'),
      recordId: textOf(root, 'BatchSequence'),
      cvrNumber: guid,
      imageKey: null,
      ballotStyle: null,
      precinct: textOf(child(root, 'PrecinctSplit'), 'Name'),
      countingGroup: null,
      sessionType: textOf(root, 'SheetNumber') === null ? null : `sheet ${textOf(root, 'SheetNumber')}`,
      votes,
      contestStatus: status,
    });
    return ok({ records: 1, contests, options, warnings: [] });
  } catch (e) {
    return err(internalParseError(file, e));
  }
}
