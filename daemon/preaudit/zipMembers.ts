/**
 * Ballot images inside a captured ES&S export zip, named for the readers as `<zip path>\0<member>`
 * (a NUL never occurs in a real path). Readers keep the last zips they opened: listing a 100,000-
 * file directory once per sheet would cost more than reading the sheet.
 */
import { err, ok, type Result } from '../core/result.ts';
import { openEssZip, type EssZip } from './essZip.ts';

const SEPARATOR = '\u0000';
const KEEP_OPEN = 2;
const open = new Map<string, Promise<Result<EssZip>>>();

export function zipMemberPath(zipPath: string, member: string): string {
  return `${zipPath}${SEPARATOR}${member}`;
}

export function isZipMemberPath(path: string): boolean {
  return path.includes(SEPARATOR);
}

/** The member's name inside its zip (`T Albion/Nonpartisan/000123i.pdf`); undefined for a file of its own. */
export function memberOfZipPath(path: string): string | undefined {
  const at = path.indexOf(SEPARATOR);
  return at < 0 ? undefined : path.slice(at + 1);
}

/** The member's bytes and a label naming it for people ("the zip's member"). */
export async function readZipMember(spec: string): Promise<Result<{ bytes: Buffer; label: string }>> {
  const at = spec.indexOf(SEPARATOR);
  const zipPath = spec.slice(0, at);
  const member = spec.slice(at + 1);
  let zip = open.get(zipPath);
  if (zip === undefined) {
    zip = openEssZip(zipPath, 'an ES&S export zip');
    open.set(zipPath, zip);
    for (const [k, z] of open) {
      if (open.size <= KEEP_OPEN) break;
      open.delete(k);
      void z.then((r) => r.ok && r.value.close());
    }
  }
  const opened = await zip;
  if (!opened.ok) return opened;
  const bytes = await opened.value.read(member);
  return bytes.ok ? ok({ bytes: bytes.value, label: `${member} (in an ES&S export zip)` }) : err(bytes.error);
}
