/**
 * Two "drives" that are one folder (or one inside the other) make one copy look like two: the
 * snapshot would be "verified on both drives" with a single point of loss. Paths are compared as
 * the kernel sees them: symlinks resolved (also a link that points at a folder not made yet),
 * and, where the folders exist, by device and inode (a bind mount of the same folder).
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export type FolderOverlap = 'same' | 'a-inside-b' | 'b-inside-a';

/** The real path of `p`: symlinks of its existing part resolved, the part not made yet appended. */
export function realPathOf(p: string, depth = 0): string {
  let current = resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(current), ...tail);
    } catch {
      // A dangling symlink: follow it by hand (the folder it names may be made later).
      if (depth < 40 && isSymlink(current)) {
        const target = readlinkSync(current);
        return join(realPathOf(isAbsolute(target) ? target : resolve(dirname(current), target), depth + 1), ...tail);
      }
      const parent = dirname(current);
      if (parent === current) return join(current, ...tail);
      tail.unshift(basename(current));
      current = parent;
    }
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

type Identity = { dev: number; ino: number };

function identityOf(p: string): Identity | undefined {
  try {
    const s = statSync(p);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}

/** Whether `inner` (a real path) is `outer`'s folder or beneath it, by device and inode of each ancestor. */
function beneathByIdentity(inner: string, outer: Identity): 'same' | 'inside' | undefined {
  let current = inner;
  for (let level = 0; ; level++) {
    const id = identityOf(current);
    if (id !== undefined && id.dev === outer.dev && id.ino === outer.ino) return level === 0 ? 'same' : 'inside';
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** How folders `a` and `b` overlap, or undefined when they are separate. */
export function driveFoldersOverlap(a: string, b: string): FolderOverlap | undefined {
  const ra = realPathOf(a);
  const rb = realPathOf(b);
  if (ra === rb) return 'same';
  if (isWithin(ra, rb)) return 'a-inside-b';
  if (isWithin(rb, ra)) return 'b-inside-a';
  const idA = identityOf(ra);
  const idB = identityOf(rb);
  if (idB !== undefined) {
    const found = beneathByIdentity(ra, idB);
    if (found !== undefined) return found === 'same' ? 'same' : 'a-inside-b';
  }
  if (idA !== undefined) {
    const found = beneathByIdentity(rb, idA);
    if (found !== undefined) return found === 'same' ? 'same' : 'b-inside-a';
  }
  return undefined;
}

/** The operator's sentence for an overlap, or undefined when the folders are separate. */
export function driveFoldersProblem(a: string, b: string): string | undefined {
  const overlap = driveFoldersOverlap(a, b);
  if (overlap === undefined) return undefined;
  if (overlap === 'same') return `Drive A (${a}) and drive B (${b}) are the same folder, so there would be only one copy.`;
  const [inner, outer] = overlap === 'a-inside-b' ? [`A (${a})`, `B (${b})`] : [`B (${b})`, `A (${a})`];
  return `Drive ${inner} is inside drive ${outer}, so both copies would be on one drive.`;
}
