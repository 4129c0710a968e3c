/**
 * The messages between the daemon and the style-learning child process (learnInChild.ts ↔ learnChild.ts):
 * plain data, checked with these schemas on both sides, as stored JSON is. The child is our own code,
 * but a message across a process boundary is an edge all the same (a crash can cut one short).
 */
import { z } from 'zod';
import type { CodeGroup, DamagedCodeGroup } from './damagedCodes.ts';
import type { ContestDefinition } from './layout.ts';
import type { LearnProgress, LearnResult, LearnSheet, StyleNeedsMapping } from './learnLayouts.ts';
import { storedLayout, storedStyleSample, storedTargetPosition, storedUnresolved } from './storedJson.ts';


const contestDefinition = z.looseObject({
  id: z.string(),
  seats: z.number(),
  title: z.string(),
  options: z.array(z.looseObject({ id: z.string(), name: z.string() })),
  allowWriteIns: z.boolean(),
}) satisfies z.ZodType<ContestDefinition>;

const codeGroup = z.looseObject({
  styleId: z.string(),
  codes: z.array(z.string()),
  sheets: z.array(z.looseObject({ sheetKey: z.string(), ballotType: z.union([z.string(), z.undefined()]) })),
}) satisfies z.ZodType<CodeGroup>;

/** What the daemon asks the child to learn from: the sheets, the contests, and the options that are data. */
export const learnRequest = z.object({
  kind: z.literal('learn'),
  sheets: z.array(z.object({ key: z.string(), files: z.array(z.string()) })) satisfies z.ZodType<LearnSheet[]>,
  contests: z.array(contestDefinition),
  pagesPerStyle: z.number().int().positive().optional(),
  maxSheets: z.number().int().positive().optional(),
  /** Sheet key → the ballot type its CVR names (LearnOptions.ballotTypeOf as data). */
  ballotTypes: z.array(z.tuple([z.string(), z.string()])),
  knownCodes: z.array(codeGroup),
  /** Styles already learned (LearnOptions.knownStyleIds as data): not OCR'd again. */
  knownStyleIds: z.array(z.string()).optional(),
});
export type LearnRequest = z.infer<typeof learnRequest>;

const needsMapping = z.looseObject({
  styleId: z.string(),
  printed: z.string(),
  pages: z.number(),
  reason: z.string(),
  unresolved: storedUnresolved,
  placed: z.array(storedTargetPosition),
  samples: z.array(storedStyleSample),
  placeholder: storedLayout,
}) satisfies z.ZodType<StyleNeedsMapping>;

const damagedCodeGroup = z.looseObject({
  styleId: z.string(),
  sheetKey: z.string(),
  ballotType: z.string(),
  typeStyle: z.string(),
  nearestMarks: z.number().nullable(),
}) satisfies z.ZodType<DamagedCodeGroup>;

export const learnResult = z.looseObject({
  layouts: z.array(storedLayout),
  needsMapping: z.array(needsMapping),
  styles: z.array(z.looseObject({ styleId: z.string(), pages: z.number(), targets: z.number(), ocrMs: z.looseObject({ front: z.number().optional(), back: z.number().optional() }) })),
  sheetsSampled: z.number().int(),
  sampledKeys: z.array(z.string()),
  sheetsUnusable: z.number().int(),
  notLearned: z.array(damagedCodeGroup),
  registerMs: z.number(),
  ocrMs: z.number(),
}) satisfies z.ZodType<LearnResult>;

/** What the child says: progress as it goes, then the learned styles, or why it could not learn them. */
export const learnReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), phase: z.enum(['sample', 'ocr']), done: z.number().int(), total: z.number().int() }) satisfies z.ZodType<LearnProgress & { kind: 'progress' }>,
  /** peakRssMb: the most memory the child held (its own count, process.resourceUsage). */
  z.object({ kind: z.literal('learned'), result: learnResult, peakRssMb: z.number() }),
  z.object({ kind: z.literal('failed'), message: z.string() }),
]);
/** What the child sends (its own types; the daemon checks what it receives with `learnReply`). */
export type LearnReply = (LearnProgress & { readonly kind: 'progress' }) | { readonly kind: 'learned'; readonly result: LearnResult; readonly peakRssMb: number } | { readonly kind: 'failed'; readonly message: string };
