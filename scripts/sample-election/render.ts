import type { Election } from './election.ts';
import type { Side, StyleLayout } from './layout.ts';
import { drawMark, type TruthMark } from './marks.ts';
import { Rng } from './prng.ts';
import { AnnotationWriter } from './annotation.ts';
import { BufferPool, encodeG4, encodeJpeg, pageSizePx, Pen, rasterizeSvg, scannerArtifacts, shifted, warpWithNoise, type Gray, type ScanTransform } from './raster.ts';
import { g4Strip, scanPdf } from './pdf.ts';
import { sideSvg } from './svg.ts';
import { joinTiffPages } from './tiff.ts';

/** What a ballot design prints: the side's SVG, its page size, and the oval marks are drawn on. */
export interface PrintDesign {
  readonly sideSvg: (styleId: string, card: number, side: Side, dpi: number) => string;
  readonly pageSize: (styleId: string, dpi: number) => { readonly width: number; readonly height: number };
  /** The oval marks are drawn on; the AccuVote oval when left out. */
  readonly oval?: { readonly widthIn: number; readonly heightIn: number };
}

/**
 * Renders scanned sheets. Each printed side is rasterised once per dpi; skew/scale variants of it are
 * warped once and cached; a ballot then costs a shifted copy, its ink, some dust and the encoder.
 */
/** Bitonal scanners' black/white cut: ink darker than this prints black. */
export const BITONAL_THRESHOLD = 185;

export class SheetRenderer {
  private readonly cache = new Map<string, { readonly page: Promise<Gray>; readonly bytes: number }>();
  private cachedBytes = 0;
  private readonly pool = new BufferPool();
  private readonly annotators = new Map<number, Promise<AnnotationWriter>>();

  constructor(
    private readonly election: Election,
    private readonly layouts: ReadonlyMap<string, StyleLayout>,
    private readonly seed: number,
    private readonly variants: number,
    private readonly maxCacheBytes = 512 * 1024 * 1024,
    private readonly design?: PrintDesign,
  ) {}

  /** LRU over full pages; sizes are known up front (width x height at the dpi), so eviction is synchronous. */
  private remember(key: string, size: { readonly width: number; readonly height: number }, make: () => Promise<Gray>): Promise<Gray> {
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.page;
    }
    const entry = { page: make(), bytes: size.width * size.height };
    this.cache.set(key, entry);
    this.cachedBytes += entry.bytes;
    for (const [k, e] of this.cache) {
      if (this.cachedBytes <= this.maxCacheBytes || k === key) break;
      this.cache.delete(k);
      this.cachedBytes -= e.bytes;
    }
    return entry.page;
  }

  private sideLayout(styleId: string, card: number, side: Side): StyleLayout['cards'][number]['front'] {
    const c = this.layouts.get(styleId)?.cards.find((x) => x.card === card);
    if (c === undefined) throw new Error(`no layout for ${styleId} card ${card}`);
    return side === 'front' ? c.front : c.back;
  }

  /** Page size in pixels of a style's sides at a dpi. */
  pageSize(styleId: string, dpi: number): { readonly width: number; readonly height: number } {
    return this.design?.pageSize(styleId, dpi) ?? pageSizePx(dpi);
  }

  blank(styleId: string, card: number, side: Side, dpi: number): Promise<Gray> {
    const svg = (): string => this.design?.sideSvg(styleId, card, side, dpi) ?? sideSvg(this.sideLayout(styleId, card, side), dpi);
    return this.remember(`blank|${styleId}|${card}|${side}|${dpi}`, this.pageSize(styleId, dpi), () => rasterizeSvg(svg(), dpi));
  }

  /** The k-th skew/scale variant of a side: skews mostly small, up to +-3 degrees. */
  variantParams(styleId: string, card: number, side: Side, dpi: number, k: number): { skewDeg: number; scale: number; noiseSeed: number } {
    const r = Rng.derive(this.seed, 'variant', styleId, card, side, dpi, k);
    const skewDeg = r.chance(0.7) ? r.range(-1, 1) : r.range(-3, 3);
    return { skewDeg: Math.round(skewDeg * 1000) / 1000, scale: Math.round(r.range(0.98, 1.02) * 10000) / 10000, noiseSeed: r.u32() };
  }

  private variant(styleId: string, card: number, side: Side, dpi: number, k: number, bitonal: boolean): Promise<Gray> {
    return this.remember(`variant|${styleId}|${card}|${side}|${dpi}|${k}|${bitonal ? 'bw' : 'gray'}`, this.pageSize(styleId, dpi), async () => {
      const base = await this.blank(styleId, card, side, dpi);
      const v = this.variantParams(styleId, card, side, dpi, k);
      return warpWithNoise(base, v.skewDeg, v.scale, v.noiseSeed, bitonal ? 5 : 2, bitonal ? BITONAL_THRESHOLD : null);
    });
  }

  /** One scanned side with the voter's marks. `scanKey` picks the scan; `inkKey` the pen jitter. */
  async scanSide(styleId: string, card: number, side: Side, dpi: number, marks: readonly TruthMark[], scanKey: string, inkKey: string, bitonal: boolean, into?: Buffer): Promise<{ image: Gray; transform: ScanTransform }> {
    const rng = Rng.derive(this.seed, 'scan', scanKey, side, dpi);
    const k = rng.int(0, this.variants - 1);
    const v = this.variantParams(styleId, card, side, dpi, k);
    const base = await this.variant(styleId, card, side, dpi, k, bitonal);
    const maxShift = Math.round((12 * dpi) / 200);
    const dx = rng.int(-maxShift, maxShift);
    const dy = rng.int(-maxShift, maxShift);
    const image = shifted(base, dx, dy, this.pool, into);
    const transform: ScanTransform = { skewDeg: v.skewDeg, scale: v.scale, shiftXPx: dx, shiftYPx: dy };
    const threshold = bitonal ? BITONAL_THRESHOLD : null;
    const pen = new Pen(image, transform, threshold);
    marks.forEach((m, i) => {
      if (m.side === side) drawMark(pen, m, Rng.derive(this.seed, 'ink', inkKey, i), this.design?.oval);
    });
    const streak = rng.chance(0.08) ? { x: rng.int(0, image.width - 4), width: rng.int(1, 3), value: rng.int(90, 200) } : null;
    scannerArtifacts(image, rng, rng.int(5, 60), streak, threshold);
    return { image, transform };
  }

  /** Dominion-style multipage G4 TIFF: front, back, and the tabulator's annotation page. */
  async dominionTiff(styleId: string, card: number, dpi: number, marks: readonly TruthMark[], scanKey: string, inkKey: string, annotation: readonly string[]): Promise<{ tiff: Buffer; scan: { front: ScanTransform; back: ScanTransform } }> {
    let annotator = this.annotators.get(dpi);
    if (annotator === undefined) {
      // text needs no scan resolution: half the dpi quarters its pixels and its encode time
      annotator = AnnotationWriter.create(dpi / 2);
      this.annotators.set(dpi, annotator);
    }
    // front and back drawn into one buffer, stacked, so a single G4 encode writes both pages
    const { width, height } = this.pageSize(styleId, dpi);
    const both = this.pool.acquire(2 * width * height);
    const front = await this.scanSide(styleId, card, 'front', dpi, marks, scanKey, inkKey, true, both.subarray(0, width * height));
    const back = await this.scanSide(styleId, card, 'back', dpi, marks, scanKey, inkKey, true, both.subarray(width * height));
    const note = (await annotator).page(annotation, this.pool);
    const [fb, a] = await Promise.all([encodeG4({ width, height, dpi, data: both }, 2), encodeG4(note)]);
    this.pool.release(both);
    this.pool.release(note.data);
    return { tiff: joinTiffPages([fb, a]), scan: { front: front.transform, back: back.transform } };
  }

  async essJpegs(styleId: string, card: number, dpi: number, marks: readonly TruthMark[], scanKey: string, inkKey: string): Promise<{ front: Buffer; back: Buffer; scan: { front: ScanTransform; back: ScanTransform } }> {
    const front = await this.scanSide(styleId, card, 'front', dpi, marks, scanKey, inkKey, false);
    const back = await this.scanSide(styleId, card, 'back', dpi, marks, scanKey, inkKey, false);
    const [f, b] = await Promise.all([encodeJpeg(front.image), encodeJpeg(back.image)]);
    this.pool.release(front.image.data);
    this.pool.release(back.image.data);
    return { front: f, back: b, scan: { front: front.transform, back: back.transform } };
  }

  /** ES&S Electionware's `<id>i.pdf`: front and back as bitonal CCITT G4 pages of one PDF. */
  async essPdf(styleId: string, card: number, dpi: number, marks: readonly TruthMark[], scanKey: string, inkKey: string): Promise<{ pdf: Buffer; scan: { front: ScanTransform; back: ScanTransform } }> {
    const front = await this.scanSide(styleId, card, 'front', dpi, marks, scanKey, inkKey, true);
    const back = await this.scanSide(styleId, card, 'back', dpi, marks, scanKey, inkKey, true);
    const [f, b] = await Promise.all([g4Strip(front.image), g4Strip(back.image)]);
    const page = (image: Gray, g4: Buffer) => ({ widthPx: image.width, heightPx: image.height, g4, widthIn: image.width / dpi, heightIn: image.height / dpi });
    const pdf = scanPdf([page(front.image, f), page(back.image, b)]);
    this.pool.release(front.image.data);
    this.pool.release(back.image.data);
    return { pdf, scan: { front: front.transform, back: back.transform } };
  }

  /** Gives a scanned page's buffer back for reuse. */
  release(image: Gray): void {
    this.pool.release(image.data);
  }

  get electionTitle(): string {
    return this.election.title;
  }
}

