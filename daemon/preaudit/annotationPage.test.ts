/**
 * Dominion's AuditMark page (the third page of an ImageCast TIFF: the tabulator's own reading as
 * text) is not a ballot side: the reader leaves it undecoded and looks for no timing marks on it.
 * On the real demo export's TIFFs (../shared/corpus/dominion-imagecast-demo).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBallotImage } from './image.ts';
import { registerPages } from './interpret.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tiff = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005/Batch001/Images/00005_00001_000004.tif');

describe('the AuditMark page of a Dominion TIFF', () => {
  it('is decoded only when asked for, and never registered as a ballot side', async () => {
    const bytes = readFileSync(tiff);
    const all = await decodeBallotImage(bytes);
    expect(all.ok && all.value.map((p) => p.page)).toEqual([0, 1, 2]);
    const sides = await decodeBallotImage(bytes, { ballotSidesOnly: true });
    expect(sides.ok && sides.value.map((p) => p.page)).toEqual([0, 1]);
    if (!all.ok) return;
    const registered = registerPages(all.value);
    expect(registered.ok && registered.value.index).toEqual([0, 1]);
  });

  it('keeps a page the size of the others: a sheet of equal pages is all ballot sides', async () => {
    const bytes = readFileSync(tiff);
    const all = await decodeBallotImage(bytes);
    if (!all.ok) throw new Error(all.error.message);
    const [front, back] = all.value;
    const registered = registerPages([front!, back!]);
    expect(registered.ok && registered.value.index).toEqual([0, 1]);
  });
});
