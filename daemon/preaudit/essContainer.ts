/**
 * The pages of a stored ES&S container that sharp cannot read (the scans inside an Electionware
 * `<id>i.pdf`, a PBM side, a member of a captured export zip), decoded as the pre-audit decodes
 * them, with its limits. A file of its own is told by its first bytes; anything else is left to
 * sharp (undefined).
 */
import { open } from 'node:fs/promises';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { looksLikePbm } from './pbm.ts';
import { looksLikePdf } from './pdfPages.ts';
import { isZipMemberPath } from './zipMembers.ts';

/** `source`: a vault path, or a zip member's `<zip>\0<member>` (zipMembers.ts). */
export async function essContainerPages(source: string, maxPixels: number): Promise<readonly GrayImage[] | 'unreadable' | undefined> {
  if (!isZipMemberPath(source)) {
    let head = Buffer.alloc(1024); // a PDF header may follow some junk (looksLikePdf)
    const handle = await open(source, 'r');
    try {
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (!looksLikePdf(head) && !looksLikePbm(head)) return undefined;
  }
  const pages = await decodeBallotImage(source, { maxPixels });
  return pages.ok ? pages.value : 'unreadable';
}
