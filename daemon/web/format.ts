/** Formatting for people reading at arm's length: round numbers, local times, plain words. */
import { formatBytes } from '../core/format.ts';

/** Sizes follow the one rule of daemon/core/format.ts. */
export { formatBytes };

const count = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return count.format(n);
}


export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '–';
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return 'working it out…';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const dateTime = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
const timeOnly = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hour12: false });

/** "14:05" for today, "Nov 3, 2026, 14:05" otherwise; "never" for null. */
export function formatTime(iso: string | null, now: Date = new Date()): string {
  if (iso === null) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toDateString() === now.toDateString() ? `today ${timeOnly.format(d)}` : dateTime.format(d);
}

export function startOfLocalDay(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

export function shortHash(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}

/** Groups a hex digest in fours so it can be read aloud and compared on paper. */
export function groupedHash(hex: string): string {
  return hex.replace(/(.{4})/g, '$1 ').trim();
}

/** "/mnt/ballotsafe/drive-b" → "drive-b": a screen names a folder, not the appliance's paths. */
export function lastPathPart(path: string): string {
  return path.split('/').filter((x) => x !== '').pop() ?? path;
}
