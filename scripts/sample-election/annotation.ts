import { binarize, rasterizeSvg, type BufferPool, type Gray } from './raster.ts';

const FIRST = 32;
const LAST = 126;

/**
 * The tabulator's annotation page (what it recorded, as text), drawn from a monospace glyph atlas
 * rendered once per dpi: one SVG render per sheet would cost more than the ballot itself.
 */
export class AnnotationWriter {
  private constructor(
    private readonly atlas: Gray,
    private readonly cellW: number,
    private readonly cellH: number,
    private readonly dpi: number,
  ) {}

  static async create(dpi: number): Promise<AnnotationWriter> {
    const sizePx = (8 / 72) * dpi;
    const cellW = Math.ceil(sizePx * 0.61);
    const cellH = Math.ceil(sizePx * 1.35);
    const chars: string[] = [];
    for (let c = FIRST; c <= LAST; c++) {
      const ch = String.fromCharCode(c).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;');
      chars.push(`<text x="${(c - FIRST) * cellW}" y="${Math.round(sizePx)}" font-family="DejaVu Sans Mono, monospace" font-size="${sizePx.toFixed(2)}">${ch}</text>`);
    }
    const width = cellW * (LAST - FIRST + 1);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${cellH}"><rect width="${width}" height="${cellH}" fill="#fff"/>${chars.join('')}</svg>`;
    const atlas = binarize(await rasterizeSvg(svg, dpi), 140);
    return new AnnotationWriter(atlas, cellW, cellH, dpi);
  }

  private readonly lineCache = new Map<string, Buffer>();

  /** One line of text as a cellH-high strip; lines repeat a lot across ballots, so they are cached. */
  private line(text: string, widthPx: number): Buffer {
    const hit = this.lineCache.get(text);
    if (hit !== undefined) return hit;
    const strip = Buffer.alloc(widthPx * this.cellH, 255);
    const maxChars = Math.floor(widthPx / this.cellW);
    for (let k = 0; k < Math.min(text.length, maxChars); k++) {
      let code = text.charCodeAt(k);
      if (code < FIRST || code > LAST) code = 63; // '?'
      if (code === 32) continue;
      const ax = (code - FIRST) * this.cellW;
      for (let y = 0; y < this.cellH; y++) {
        const src = y * this.atlas.width + ax;
        this.atlas.data.copy(strip, y * widthPx + k * this.cellW, src, src + this.cellW);
      }
    }
    if (this.lineCache.size > 20000) this.lineCache.clear();
    this.lineCache.set(text, strip);
    return strip;
  }

  /** A bitonal page, letter width, as tall as the text needs. */
  page(lines: readonly string[], pool?: BufferPool): Gray {
    const width = Math.round(8.5 * this.dpi);
    const margin = Math.round(0.3 * this.dpi);
    const lineH = Math.round(this.cellH * 1.15);
    const height = 2 * margin + lineH * lines.length;
    const data = pool === undefined ? Buffer.alloc(width * height, 255) : pool.acquire(width * height).fill(255);
    const textWidth = width - 2 * margin;
    lines.forEach((text, li) => {
      const strip = this.line(text, textWidth);
      const y0 = margin + li * lineH;
      for (let y = 0; y < this.cellH; y++) strip.copy(data, (y0 + y) * width + margin, y * textWidth, (y + 1) * textWidth);
    });
    return { width, height, dpi: this.dpi, data };
  }
}
