import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { decodeBuffer, looksBinary } from './encoding.ts';
import { internalParseError } from './errors.ts';
import type { NormalizedContest, NormalizedOption } from './model.ts';

/**
 * A VotingWorks election definition (`election.json`): the contests, their options and how many
 * write-in lines each has. It holds no votes; it names what the ballot prints, for the pre-audit's
 * mapping. Option ids are the ones VotingWorks grid layouts and CVRs use (`write-in-<n>` lines).
 */

/** A JSON head that is a VotingWorks election definition rather than another JSON export. */
export function isVxElectionHead(head: string): boolean {
  return /"ballotStyles"\s*:/.test(head) || /"gridLayouts"\s*:/.test(head);
}

const id = z.string().min(1);
const candidate = z.object({ id, name: z.string().min(1), partyIds: z.array(z.string()).optional() });
const yesNoOption = z.object({ id, label: z.string().min(1) });
const contest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('candidate'), id, title: z.string().min(1), seats: z.number().int().positive(), candidates: z.array(candidate), allowWriteIns: z.boolean() }),
  z.object({ type: z.literal('yesno'), id, title: z.string().min(1), yesOption: yesNoOption.optional(), noOption: yesNoOption.optional() }),
]);
const vxElection = z.object({
  contests: z.array(contest).min(1),
  parties: z.array(z.object({ id, name: z.string() })).optional(),
  ballotStyles: z.array(z.unknown()),
});

export interface VxElectionDefinition {
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly writeInLines: number;
}

const maxBytes = 64 * 1024 * 1024;
const singular: Record<string, string> = { contests: 'contest', candidates: 'candidate', parties: 'party', ballotStyles: 'ballot style' };

function damaged(file: string, what: string): OperatorError {
  return operatorError(
    'import-vx-election-invalid',
    `${file}: this is a VotingWorks election definition, but ${what}. Nothing in it was imported.`,
    'Export the election definition again from VotingWorks and import the new file; data imported earlier is kept.',
  );
}

/** Where a schema problem is, in words: `contests.2.title` → contest 3 ("Governor"), "title". */
function placeInWords(path: readonly PropertyKey[], data: unknown): { words: string; value: unknown } {
  const parts: string[] = [];
  let node: unknown = data;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const next = path[i + 1];
    if (typeof key === 'string' && typeof next === 'number') {
      node = (node as Record<string, unknown> | undefined)?.[key];
      const item = Array.isArray(node) ? (node[next] as Record<string, unknown> | undefined) : undefined;
      const label = typeof item?.title === 'string' ? ` ("${item.title}")` : typeof item?.name === 'string' ? ` ("${item.name}")` : '';
      parts.push(`${singular[key] ?? key} ${next + 1}${label}`);
      node = item;
      i++;
    } else {
      parts.push(`the "${String(key)}" field`);
      node = (node as Record<string, unknown> | undefined)?.[String(key)];
    }
  }
  return { words: parts.join(': '), value: node };
}

export function parseVxElectionText(text: string, file: string): Result<VxElectionDefinition> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return err(damaged(file, 'the file is cut short or damaged (it is not complete JSON)'));
  }
  const parsed = vxElection.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? { words: '', value: undefined } : placeInWords(issue.path, data);
    const what = issue?.code === 'invalid_union' ? 'is of a kind ballotsafe does not know' : where.value === undefined ? 'is missing' : 'is not valid';
    if (Array.isArray(where.value) && where.value.length === 0) return err(damaged(file, `${where.words} is empty`));
    return err(damaged(file, where.words === '' ? 'it is not an object' : `${where.words} ${what}`));
  }
  const partyName = new Map((parsed.data.parties ?? []).map((p) => [p.id, p.name]));
  const contests: NormalizedContest[] = [];
  const options: NormalizedOption[] = [];
  let writeInLines = 0;
  for (const c of parsed.data.contests) {
    if (c.type === 'yesno') {
      contests.push({ key: c.id, name: c.title, voteFor: 1, numRanks: null });
      options.push({ contestKey: c.id, key: c.yesOption?.id ?? 'yes', name: c.yesOption?.label ?? 'Yes', party: null, type: null });
      options.push({ contestKey: c.id, key: c.noOption?.id ?? 'no', name: c.noOption?.label ?? 'No', party: null, type: null });
      continue;
    }
    contests.push({ key: c.id, name: c.title, voteFor: c.seats, numRanks: null });
    for (const k of c.candidates) options.push({ contestKey: c.id, key: k.id, name: k.name, party: partyName.get(k.partyIds?.[0] ?? '') ?? null, type: null });
    // One write-in line per seat, numbered as VotingWorks layouts and CVRs number them.
    if (c.allowWriteIns) {
      for (let i = 0; i < c.seats; i++) options.push({ contestKey: c.id, key: `write-in-${i}`, name: 'Write-in', party: null, type: 'write-in' });
      writeInLines += c.seats;
    }
  }
  return ok({ contests, options, writeInLines });
}

/** Reads a VotingWorks election.json (small; read whole); never throws. */
export async function parseVxElection(path: string, file: string): Promise<Result<VxElectionDefinition>> {
  try {
    const info = await stat(path);
    if (info.size > maxBytes) return err(damaged(file, `it is ${Math.round(info.size / 1048576)} MB, far larger than an election definition`));
    const buffer = await readFile(path);
    const decoded = decodeBuffer(buffer);
    if (looksBinary(buffer, decoded.detected.encoding)) return err(damaged(file, 'the file is damaged (it holds binary data)'));
    return parseVxElectionText(decoded.text, file);
  } catch (e) {
    return err(internalParseError(file, e));
  }
}
