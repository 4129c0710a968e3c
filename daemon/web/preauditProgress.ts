import type { PreauditStatus } from './deps.ts';
import { formatCount, formatTime } from './format.ts';

export interface PreauditProgressView {
  readonly line: string;
  /** The bar counts only images really read: set-aside and unreadable sheets are not. */
  readonly read: number;
  readonly total: number;
}

const stateWords: Record<Exclude<PreauditStatus['state'], 'not-started'>, string> = { running: 'Running', done: 'Done', failed: 'Stopped' };

/** "Done: 162 read, 48 set aside, of 210 images; …": never "210 of 210" while sheets wait for a person. */
export function preauditProgress(status: PreauditStatus, now: Date): PreauditProgressView {
  if (status.state === 'not-started') return { line: 'Not started: it begins when ballot images arrive.', read: 0, total: Math.max(0, status.imagesTotal) };
  const setAside = status.imagesSetAside ?? 0;
  const unreadable = status.imagesUnreadable ?? 0;
  const read = Math.max(0, status.imagesDone - setAside - unreadable);
  const parts = [`${formatCount(read)} read`];
  if (setAside > 0) parts.push(`${formatCount(setAside)} set aside for a person to map`);
  if (unreadable > 0) parts.push(`${formatCount(unreadable)} could not be read`);
  const compared = `${formatCount(status.ballotsCompared)} ballot${status.ballotsCompared === 1 ? '' : 's'} compared`;
  const disagreements = `${formatCount(status.disagreements)} disagreement${status.disagreements === 1 ? '' : 's'}`;
  const of = `of ${formatCount(status.imagesTotal)} image${status.imagesTotal === 1 ? '' : 's'}`;
  const line = `${stateWords[status.state]}: ${parts.join(', ')}, ${of}; ${compared}, ${disagreements}. Updated ${formatTime(status.updatedAt, now)}.`;
  return { line, read, total: status.imagesTotal };
}
