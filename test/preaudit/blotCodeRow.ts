/** Test helper (issue #19): a Dominion sheet whose printed ballot-type code cannot be read. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeBallotImage } from '../../daemon/preaudit/image.ts';
import { registerPages } from '../../daemon/preaudit/interpret.ts';

/**
 * The sheet's two ballot pages as PNGs with the type code row (between the last row of squares and
 * the bottom bars) painted white, as a smudge or a torn strip would leave it; the marks stay.
 */
export async function blotCodeRow(tiff: string, outDir: string): Promise<string[]> {
  const decoded = await decodeBallotImage(tiff, { ballotSidesOnly: true });
  if (!decoded.ok) throw new Error(decoded.error.message);
  const registered = registerPages(decoded.value);
  if (!registered.ok) throw new Error(registered.error.message);
  mkdirSync(outDir, { recursive: true });
  const out: string[] = [];
  for (const [i, page] of registered.value.pages.entries()) {
    const g = page.grid;
    // One pitch and more beyond the last row, whichever way up the page was fed.
    const corners = [1, g.columns - 2].flatMap((c) => {
      const last = g.pointFor(c, g.rows - 1);
      const before = g.pointFor(c, g.rows - 2);
      return [0.9, 2.4].map((k) => ({ x: last.x + k * (last.x - before.x), y: last.y + k * (last.y - before.y) }));
    });
    const x0 = Math.max(0, Math.round(Math.min(...corners.map((p) => p.x)) - 0.4 * g.columnPitch));
    const x1 = Math.min(page.image.width, Math.round(Math.max(...corners.map((p) => p.x)) + 0.4 * g.columnPitch));
    const y0 = Math.max(0, Math.round(Math.min(...corners.map((p) => p.y))));
    const y1 = Math.min(page.image.height, Math.round(Math.max(...corners.map((p) => p.y))));
    const white = await sharp({ create: { width: x1 - x0, height: y1 - y0, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const file = path.join(outDir, `${i === 0 ? 'front' : 'back'}.png`);
    await sharp(tiff, { page: decoded.value[registered.value.index[i]!]!.page }).composite([{ input: white, left: x0, top: y0 }]).png().toFile(file);
    out.push(file);
  }
  return out;
}

