/**
 * The pages of a stored ES&S container that sharp cannot read (the scans inside an Electionware
 * `<id>i.pdf`, a PBM side), told by their first bytes and decoded as the pre-audit decodes them,
 * with its limits. Anything else is left to sharp (undefined).
 */
import { open } from 'node:fs/promises';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { looksLikePbm } from './pbm.ts';
import { looksLikePdf } from './pdfPages.ts';

export async function essContainerPages(vaultPath: string, maxPixels: number): Promise<readonly GrayImage[] | 'unreadable' | undefined> {
  let head = Buffer.alloc(1024); // a PDF header may follow some junk (looksLikePdf)
  const handle = await open(vaultPath, 'r');
  try {
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (!looksLikePdf(head) && !looksLikePbm(head)) return undefined;
  const pages = await decodeBallotImage(vaultPath, { maxPixels });
  return pages.ok ? pages.value : 'unreadable';
}
