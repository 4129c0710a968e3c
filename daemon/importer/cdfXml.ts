import { createReadStream } from 'node:fs';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { decodeChunks, detectEncoding, EncodingError } from './encoding.ts';
import { internalParseError, parseError } from './errors.ts';
import type { CvrSink } from './model.ts';
import { nistElectionNames, recordNistCvr, type NistCvrSummary } from './nist.ts';
import { readHead } from './tabular.ts';

/**
 * NIST SP 1500-103 CDF in XML (Unisyn OVS and others write it). Streamed with saxes (the XML
 * parser exceljs itself uses): each <CVR> is collected on its own, turned into the JSON shape
 * and checked by the same code as CDF JSON, then dropped; <Election> names contests and choices.
 */
interface XmlNode {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlNode[];
  text: string;
}

const arrays = new Set([
  'CVR', 'CVRSnapshot', 'CVRContest', 'CVRContestSelection', 'SelectionPosition', 'BallotImage', 'MarkMetricValue',
  'Election', 'Contest', 'ContestSelection', 'Candidate', 'Annotation', 'Party', 'GpUnit', 'Code',
]);
const numbers = new Set(['NumberVotes', 'Rank', 'BatchSequenceId', 'VotesAllowed', 'Undervotes', 'Overvotes', 'OptionPosition', 'TotalNumberVotes', 'NumberOfWinners']);
const idLists = new Set(['CandidateIds', 'PartyIds']);

const local = (name: string): string => name.slice(name.indexOf(':') + 1);

/** Element tree -> the CDF JSON shape (ObjectId -> @id, xsi:type -> @type, lists by name). */
function toJson(node: XmlNode): unknown {
  if (node.children.length === 0 && Object.keys(node.attributes).length === 0) {
    const t = node.text.trim();
    if (numbers.has(node.name) && /^-?\d+$/.test(t)) return Number(t);
    if (idLists.has(node.name)) return t.split(/\s+/).filter((x) => x !== '');
    if (node.name === 'IsWriteIn') return t === 'true';
    return t;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.attributes)) {
    if (local(k) === 'ObjectId') out['@id'] = v;
    else if (local(k) === 'type') out['@type'] = local(v);
  }
  for (const child of node.children) {
    const value = toJson(child);
    if (arrays.has(child.name)) ((out[child.name] ??= []) as unknown[]).push(value);
    else if (idLists.has(child.name) && Array.isArray(out[child.name])) (out[child.name] as unknown[]).push(...(value as unknown[]));
    else out[child.name] = value;
  }
  return out;
}

export function isCdfXmlHead(text: string): boolean {
  return /<(\w+:)?CastVoteRecordReport[\s>]/.test(text);
}

/** Streams a CDF XML CastVoteRecordReport into the sink; never throws. */
export async function parseCdfXml(path: string, file: string, sink: CvrSink): Promise<Result<NistCvrSummary>> {
  try {
    const detected = detectEncoding(await readHead(path));
    const parser = new SaxesParser({ xmlns: false, position: true });
    const stack: XmlNode[] = [];
    const maxRank = new Map<string, number>();
    let root: string | undefined;
    let records = 0;
    let election: unknown[] = [];
    let failure: OperatorError | undefined;
    let capturing: XmlNode | undefined;
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const name = local(tag.name);
      if (root === undefined) {
        root = name;
        if (name !== 'CastVoteRecordReport') failure = parseError('import-bad-cdf-xml', file, `line ${parser.line}`, 'a <CastVoteRecordReport> root element', `<${name}>`);
        stack.push({ name, attributes: {}, children: [], text: '' });
        return;
      }
      const node: XmlNode = { name, attributes: { ...tag.attributes } as Record<string, string>, children: [], text: '' };
      if (stack.length === 1 && (name === 'CVR' || name === 'Election')) capturing = node;
      else if (capturing !== undefined) stack[stack.length - 1]?.children.push(node);
      stack.push(node);
    });
    parser.on('text', (t: string) => {
      const top = stack[stack.length - 1];
      if (capturing !== undefined && top !== undefined && top.text.length < 100_000) top.text += t;
    });
    parser.on('closetag', () => {
      const node = stack.pop();
      if (node === undefined || node !== capturing || failure !== undefined) return;
      capturing = undefined;
      const value = toJson(node);
      if (node.name === 'Election') election.push(value);
      else {
        // XML has no @type on elements; the element name says it.
        failure = recordNistCvr({ '@type': 'CVR', ...(value as object) }, records, file, sink, maxRank);
        if (failure === undefined) records++;
      }
    });
    parser.on('error', (e: Error) => {
      failure ??= parseError('import-bad-cdf-xml', file, `line ${parser.line}`, 'well-formed XML', e.message.split('\n')[0]);
    });
    const bytes = createReadStream(path, { highWaterMark: 1 << 20 });
    try {
      for await (const text of decodeChunks(bytes, detected)) {
        parser.write(text);
        if (failure !== undefined) break;
      }
      if (failure === undefined) parser.close();
    } catch (e) {
      if (e instanceof EncodingError) return err(parseError('import-bad-encoding', file, undefined, e.expected));
      throw e;
    } finally {
      bytes.destroy();
    }
    if (failure !== undefined) return err(failure);
    if (root === undefined) return err(parseError('import-bad-cdf-xml', file, undefined, 'an XML CastVoteRecordReport', 'no elements'));
    const names = nistElectionNames(election, file, maxRank);
    election = [];
    if (!names.ok) return names;
    const warnings = detected.encoding === 'utf-8' ? [] : [`${file}: read as ${detected.encoding}.`];
    return ok({ records, contests: names.value.contests, options: names.value.options, warnings });
  } catch (e) {
    return err(internalParseError(file, e));
  }
}
