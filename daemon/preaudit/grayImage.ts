// Apart from image.ts so the decoders it calls (pbm.ts, pdfPages.ts) can name the types without importing it back.
/** One 8-bit grayscale page, row-major, `data.length === width * height`. 0 = black, 255 = white. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface DecodedPage extends GrayImage {
  /** 0-based page index inside the file (multipage TIFF: front, back, vendor annotation page). */
  readonly page: number;
  /** Resolution stored in the file, if any (templates often claim 72); for a PDF, from its page size. */
  readonly density: number | undefined;
  /** The ES&S containers: a scan taken out of a PDF, or a PBM side (undefined for image files). */
  readonly container?: 'pdf' | 'pbm';
}
