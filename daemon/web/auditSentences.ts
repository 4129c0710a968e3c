/**
 * The audit log in words: each stored action (`snapshot.finished` and its JSON details) becomes a
 * short title and a sentence a clerk can read. Actions without a sentence of their own still get a
 * plain one from their fields, so no raw JSON or dotted name ever reaches the screen.
 */
import { z } from 'zod';
import { AuditActions, isAuditAction } from '../core/state/auditActions.ts';
import { ballotStyleName } from '../preaudit/styleWords.ts';

export interface AuditWords {
  readonly title: string;
  readonly sentence: string;
}

export interface AuditFormat {
  readonly time: (iso: string) => string;
}

type Details = Record<string, unknown>;

const detailsSchema = z.record(z.string(), z.unknown());

const str = (d: Details, k: string): string | undefined => {
  const v = d[k];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
};
const num = (d: Details, k: string): number | undefined => (typeof d[k] === 'number' ? d[k] : undefined);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const shortHash = (h: string) => (h.length > 16 ? `${h.slice(0, 8)}…${h.slice(-8)}` : h);
/** The last part of a path: a folder drive or a device, without the appliance's own folders. */
const lastPart = (p: string) => p.split('/').filter((x) => x !== '').pop() ?? p;
/** "snapshot-busy" → "snapshot busy": codes are for logs, words for people. */
const codeWords = (c: string) => c.replace(/[-_.]+/g, ' ');

/** "A:complete" list from snapshot.finished → "drive A verified, drive B failed". */
function driveOutcomes(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const parts = v.filter((x): x is string => typeof x === 'string').map((x) => {
    const [role, state] = x.split(':');
    return `drive ${role ?? '?'} ${state === 'complete' ? 'verified' : 'failed'}`;
  });
  return parts.length === 0 ? undefined : parts.join(', ');
}

const reasons: Record<string, string> = {
  operator: 'by an operator',
  'end-of-day': 'at end of day',
  'poll-close': 'at poll close',
  schedule: 'on schedule',
  'export-settled': 'after the exports settled',
  'catch-up': 'to catch a drive up',
  recovery: 'to recover an interrupted snapshot',
};

/** Why a hand mapping was not saved (handMapping.ts's codes). */
const mappingRefusals: Record<string, string> = {
  'preaudit-mapping-incomplete': 'some targets had no choice',
  'preaudit-mapping-inconsistent': 'the choices did not fit the contests',
  'preaudit-mapping-option-unknown': 'a choice was not in the election definition',
  'preaudit-mapping-target-unknown': 'a target was not one of the style',
  'preaudit-style-not-waiting': 'the style was not waiting any more',
};

type Sentence = (d: Details, f: AuditFormat) => string | undefined;

const sentences: Record<string, Sentence> = {
  'web.login': (d) => `Logged in as ${str(d, 'role') ?? 'user'}${str(d, 'address') === undefined ? '' : ` from ${str(d, 'address')}`}.`,
  'web.session.idle-ended': () => 'The session ended after a long time without use.',
  'daemon.started': () => 'The appliance started and is watching the export folders.',
  'capture.started': (d) => (Array.isArray(d['roots']) ? `Watching ${d['roots'].filter((r) => typeof r === 'string').join(', ')}.` : undefined),
  'snapshot.requested': (d) => {
    const r = str(d, 'reason');
    const drives = Array.isArray(d['drives']) ? d['drives'].length : undefined;
    const why = r === undefined ? '' : ` ${reasons[r] ?? codeWords(r)}`;
    return `${d['full'] === true ? 'Full snapshot' : 'Snapshot'} started${why}${drives === undefined ? '' : ` onto ${plural(drives, 'drive')}`}.`;
  },
  'snapshot.finished': (d) => {
    const drives = driveOutcomes(d['perDrive']);
    const hash = str(d, 'rootHash');
    return `${drives === undefined ? 'Finished' : `Finished: ${drives}`}.${hash === undefined ? '' : ` Root hash ${shortHash(hash)}.`}`;
  },
  'snapshot.refused': (d) => `No snapshot was written${str(d, 'code') === undefined ? '' : ` (${codeWords(str(d, 'code') ?? '')})`}.`,
  'snapshot.drive-refused': (d) => `Drive ${str(d, 'role') ?? ''} was left out: ${plural(num(d, 'problems') ?? 0, 'problem')} found on it${str(d, 'first') === undefined ? '' : `, first: ${str(d, 'first')}`}.`,
  'drive.enrolled': (d) => {
    const which = str(d, 'serial') ?? (str(d, 'folder') === undefined ? undefined : `folder ${lastPart(str(d, 'folder') ?? '')}`);
    return `Drive ${str(d, 'role') ?? ''} enrolled${which === undefined ? '' : ` (${which})`}.`;
  },
  'drive.formatted': (d) => `A drive${str(d, 'serial') === undefined ? '' : ` (serial ${str(d, 'serial')})`} was formatted${str(d, 'label') === undefined ? '' : ` and named ${str(d, 'label')}`}.`,
  'drive.returned': (d) =>
    `Drive ${str(d, 'role') ?? ''} came back and was checked: ${d['ok'] === true ? 'all files match' : `${plural(num(d, 'problems') ?? 0, 'problem')} found`}${num(d, 'filesChecked') === undefined ? '' : ` (${plural(num(d, 'filesChecked') ?? 0, 'file')} checked)`}.`,
  'custody.recorded': (d) => `Snapshot #${str(d, 'snapshot') ?? '?'} handed off${str(d, 'witness') === undefined ? '' : `, witnessed by ${str(d, 'witness')}`}.`,
  'alert.acknowledged': (d) => `Alert${str(d, 'subject') === undefined ? '' : ` about ${str(d, 'subject')}`} acknowledged.`,
  'alert.resolved': (d) => `${str(d, 'alert') ?? 'An alert'} — closed: ${str(d, 'why') ?? 'its cause is gone'}`,
  // Issue #20: who mapped which ballot style by hand, and what it did.
  'preaudit.style.mapped': (d) => {
    const style = str(d, 'printed') === undefined ? 'a ballot style' : ballotStyleName(str(d, 'printed') ?? '');
    return d['ok'] === true
      ? `Mapped ${style} by hand: ${plural(num(d, 'targets') ?? 0, 'voting target')}; ${plural(num(d, 'sheetsToRead') ?? 0, 'sheet')} of it to read and compare.`
      : `Tried to map ${style} by hand; it was not saved: ${mappingRefusals[str(d, 'code') ?? ''] ?? codeWords(str(d, 'code') ?? 'refused')}.`;
  },
  'user.added': (d) => `${str(d, 'name') ?? 'A user'} can now log in as ${str(d, 'role') ?? 'user'}.`,
  'user.disabled': (d) => `${str(d, 'name') ?? 'A user'} can no longer log in.`,
  'user.enabled': (d) => `${str(d, 'name') ?? 'A user'} can log in again.`,
  'user.password-set': (d) => `${str(d, 'name') ?? 'A user'} has a new password.`,
};

/** "some.old-action" → "Some old action": a title for a stored action the catalogue (auditActions.ts) does not list. */
function titleFromName(action: string): string {
  const words = action.replace(/[._-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "camelCase" keys and their plain values, e.g. "files checked 12, ok yes". */
function plainFields(d: Details, f: AuditFormat): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    const key = k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
    let value: string | undefined;
    if (typeof v === 'string') value = /^\d{4}-\d\d-\d\dT/.test(v) ? f.time(v) : v.startsWith('/') ? lastPart(v) : /^[0-9a-f]{40,}$/.test(v) ? shortHash(v) : v;
    else if (typeof v === 'number') value = v.toLocaleString('en-US');
    else if (typeof v === 'boolean') value = v ? 'yes' : 'no';
    else if (Array.isArray(v)) value = v.filter((x) => typeof x === 'string' || typeof x === 'number').join(', ') || undefined;
    if (value !== undefined && value !== '') parts.push(`${key} ${value}`);
  }
  return parts.length === 0 ? '' : `${parts.join('; ')}.`;
}

export function auditWords(action: string, detailsJson: string | null, f: AuditFormat): AuditWords {
  let details: Details = {};
  if (detailsJson !== null) {
    try {
      const parsed = detailsSchema.safeParse(JSON.parse(detailsJson));
      if (parsed.success) details = parsed.data;
    } catch {
      // A stored entry that is not JSON: show its title only.
    }
  }
  const title = isAuditAction(action) ? AuditActions[action].title : titleFromName(action);
  const own = sentences[action]?.(details, f);
  return { title, sentence: own ?? plainFields(details, f) };
}
