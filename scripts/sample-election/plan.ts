import { z } from 'zod';
import type { Election } from './election.ts';
import type { StyleLayout } from './layout.ts';
import { Rng } from './prng.ts';

export const DiscrepancySpecSchema = z
  .object({
    flip: z.number().int().min(0).default(0),
    drop: z.number().int().min(0).default(0),
    dup: z.number().int().min(0).default(0),
    totals: z.number().int().min(0).default(0),
  })
  .strict();
export type DiscrepancySpec = z.infer<typeof DiscrepancySpecSchema>;

export const SampleOptionsSchema = z
  .object({
    out: z.string().min(1),
    seed: z.number().int().min(0).max(4294967295),
    ballots: z.number().int().min(1).max(500000),
    format: z.enum(['dominion', 'ess', 'both']).default('dominion'),
    precincts: z.number().int().min(2).max(12).default(4),
    /** A partisan primary: each voter gets the Democratic or the Republican ballot of the precinct. */
    primary: z.boolean().default(false),
    /** A logic-and-accuracy test deck: every oval of every sheet carries a mark of some kind (testDeck.ts). */
    testDeck: z.boolean().default(false),
    /** Sheets per Dominion batch (a voter's sheets stay together). */
    batchSize: z.number().int().min(1).max(5000).default(50),
    dominionDpi: z.union([z.literal(200), z.literal(300)]).default(200),
    /**
     * The ballot design the Dominion export's images show: the NH AccuVote family (G4 TIFF), or
     * Dominion's own ImageCast design (modified-Huffman TIFF with an AuditMark page, CVR zip, as
     * ImageCast Central exports it). ImageCast is Dominion-only.
     */
    dominionDesign: z.enum(['accuvote', 'imagecast']).default('accuvote'),
    essDpi: z.union([z.literal(200), z.literal(300)]).default(300),
    /**
     * ES&S images: `jpeg-sides` (one grey JPEG per side, AccuVote design: what the pre-audit reads
     * today) or `electionware` (the export counties deliver: ES&S design, `<id>i.pdf` CCITT G4
     * pages, `<id>c.pdf` printouts, precinct/party folders, ExpressVote cards, a zip with `\` names).
     */
    essShape: z.enum(['jpeg-sides', 'electionware']).default('jpeg-sides'),
    /** Skew/scale variants per printed side; each ballot also gets its own shift. */
    skewVariants: z.number().int().min(1).max(32).default(4),
    images: z.boolean().default(true),
    incremental: z.boolean().default(false),
    batchIntervalMs: z.number().int().min(0).max(3_600_000).default(2000),
    concurrency: z.number().int().min(1).max(64).default(4),
    discrepancies: DiscrepancySpecSchema.default({ flip: 0, drop: 0, dup: 0, totals: 0 }),
  })
  .strict()
  .refine((o) => o.dominionDesign === 'accuvote' || o.format === 'dominion', { message: 'the ImageCast design is drawn for a Dominion export only (--format dominion)', path: ['dominionDesign'] });
export type SampleOptions = z.infer<typeof SampleOptionsSchema>;
export type SampleOptionsInput = z.input<typeof SampleOptionsSchema>;

/** One scanned sheet (card) of one voter's ballot. */
export interface SheetPlan {
  /** `B000123-1`: ballot id and card number; a rescan (duplicate) gets `-dup` appended. */
  readonly sheetId: string;
  readonly ballotId: string;
  readonly styleId: string;
  readonly card: number;
  readonly precinctId: string;
  /** 1 Election Day (precinct scanner), 2 Absentee (central scanner). */
  readonly countingGroupId: 1 | 2;
  readonly tabulatorId: number;
  readonly batchId: number;
  readonly recordId: number;
  /** ES&S cast vote record number. */
  readonly cvrNumber: number;
  /** Set on a duplicate scan: the sheet whose marks it carries. */
  readonly duplicateOf: string | null;
}

export interface BatchPlan {
  readonly tabulatorId: number;
  readonly batchId: number;
  /** 1-based CvrExport_<n>.json number, in the order batches are written. */
  readonly exportNumber: number;
  readonly sheets: SheetPlan[];
}

export const CENTRAL_TABULATOR = 90001;

export function precinctTabulator(precinctIndex: number): number {
  return 10101 + precinctIndex;
}

/** Assigns voters to precincts and counting groups and cuts tabulator batches. */
export function planSheets(election: Election, layouts: ReadonlyMap<string, StyleLayout>, options: SampleOptions): BatchPlan[] {
  const rng = Rng.derive(options.seed, 'plan');
  const weights = election.precincts.map((p, i) => [i, 1 + ((p.name.length * 7 + i * 3) % 5)] as const);
  const voters = Array.from({ length: options.ballots }, (_, i) => ({ index: i, precinct: rng.weighted(weights), absentee: rng.chance(0.3), styleDraw: rng.next() }));
  const batches: BatchPlan[] = [];
  let cvrNumber = 1;
  const nextBatchId = new Map<number, number>();
  const groups: { tabulatorId: number; precinct: number; absentee: boolean }[] = [];
  election.precincts.forEach((_, p) => {
    groups.push({ tabulatorId: precinctTabulator(p), precinct: p, absentee: false });
    groups.push({ tabulatorId: CENTRAL_TABULATOR, precinct: p, absentee: true });
  });
  for (const g of groups) {
    const vs = voters.filter((v) => v.precinct === g.precinct && v.absentee === g.absentee);
    let current: BatchPlan | null = null;
    for (const v of vs) {
      const precinct = election.precincts[v.precinct];
      if (precinct === undefined) throw new Error('bad precinct index');
      // a primary voter takes one party's ballot; a general election has a single style per precinct
      const styleId = precinct.styleIds[Math.floor(v.styleDraw * precinct.styleIds.length)] as string;
      const layout = layouts.get(styleId);
      if (layout === undefined) throw new Error(`no layout for ${styleId}`);
      if (current === null || current.sheets.length + layout.cards.length > options.batchSize) {
        const batchId = nextBatchId.get(g.tabulatorId) ?? 1;
        nextBatchId.set(g.tabulatorId, batchId + 1);
        current = { tabulatorId: g.tabulatorId, batchId, exportNumber: batches.length + 1, sheets: [] };
        batches.push(current);
      }
      const ballotId = `B${String(v.index + 1).padStart(6, '0')}`;
      for (const card of layout.cards) {
        current.sheets.push({
          sheetId: `${ballotId}-${card.card}`,
          ballotId,
          styleId,
          card: card.card,
          precinctId: precinct.id,
          countingGroupId: g.absentee ? 2 : 1,
          tabulatorId: g.tabulatorId,
          batchId: current.batchId,
          recordId: current.sheets.length + 1,
          cvrNumber: cvrNumber++,
          duplicateOf: null,
        });
      }
    }
  }
  return batches;
}
