import { z } from 'zod';
import type { StyleLayout, TargetPosition } from './layout.ts';
import type { ContestReading } from './marks.ts';
import type { UnresolvedTarget } from './ocr.ts';
import type { StyleSample } from './learnLayouts.ts';

/**
 * Schemas of the pre-audit's JSON columns: stored JSON is an edge too. Objects are loose (fields added later are
 * kept, not dropped), so reading a row gives back what was written.
 */

const side = z.enum(['front', 'back']);
export const storedTargetPosition = z.looseObject({ side, column: z.number(), row: z.number(), contestId: z.string(), optionId: z.string(), isWriteIn: z.boolean() });

export const storedReadings = z.array(
  z.looseObject({ contestId: z.string(), selected: z.array(z.string()), marginal: z.array(z.string()), overvote: z.boolean(), undervotes: z.number(), writeIns: z.number() }),
) satisfies z.ZodType<ContestReading[]>;

export const storedPages = z.array(
  z.looseObject({
    file: z.number().int(),
    page: z.number().int(),
    side: z.string(),
    width: z.number(),
    height: z.number(),
    pitch: z.number(),
    targets: z.array(
      z.looseObject({ contestId: z.string(), optionId: z.string(), x: z.number(), y: z.number(), width: z.number(), height: z.number(), fill: z.number(), mark: z.string(), ink: z.string().optional() }),
    ),
  }),
);  // SheetPage[] (pool.ts; not imported here: pool.ts writes through store.ts)

/** Pages a reader set aside as the scanner's own record of the sheet (pool.ts `auditMarkPages`). */
export const storedAuditMarkPages = z.array(z.looseObject({ file: z.number().int().min(0), page: z.number().int().min(0) }));

export const storedFileVersionIds = z.array(z.number().int());
export const storedFiles = z.array(z.string());
/** Option ids of a comparison row (image votes, CVR votes, marginal marks). */
export const storedOptionIds = z.array(z.string());

export const storedLayout = z.looseObject({
  styleId: z.string(),
  targets: z.array(storedTargetPosition),
  contests: z.array(
    z.looseObject({ id: z.string(), seats: z.number(), title: z.string(), options: z.array(z.looseObject({ id: z.string(), name: z.string() })), allowWriteIns: z.boolean() }),
  ),
  targetShape: z.looseObject({ width: z.number(), height: z.number() }),
  sideCodes: z.looseObject({ front: z.string().optional(), back: z.string().optional() }).optional(),
  printedCode: z.looseObject({ styleNumber: z.number(), card: z.number() }).optional(),
  printedPlaces: z.array(z.looseObject({ side, column: z.number(), row: z.number() })).optional(),
}) satisfies z.ZodType<StyleLayout>;

export const storedUnresolved = z.array(z.looseObject({ column: z.number(), row: z.number(), side, text: z.string(), reason: z.string() })) satisfies z.ZodType<UnresolvedTarget[]>;

/** A style's sample page as learning returns it (learnLayouts.ts StyleSample). */
export const storedStyleSample = z.looseObject({
  side,
  sheetKey: z.string(),
  file: z.number().int(),
  page: z.number().int(),
  width: z.number(),
  height: z.number(),
  boxes: z.array(z.looseObject({ column: z.number(), row: z.number(), x: z.number(), y: z.number(), width: z.number(), height: z.number() })),
}) satisfies z.ZodType<StyleSample>;
const sample = storedStyleSample.extend({ fileVersionId: z.number().int().nullable() }) satisfies z.ZodType<StyleSample & { fileVersionId: number | null }>;

/** What a person needs to map a style by hand, stored with it: the matcher's placements and the sample pages (by catalog file). */
export interface HandMappingData {
  readonly placed: readonly TargetPosition[];
  readonly samples: readonly (StyleSample & { readonly fileVersionId: number | null })[];
}
export const storedHandMapping = z.looseObject({ placed: z.array(storedTargetPosition), samples: z.array(sample) }) satisfies z.ZodType<HandMappingData>;

/**
 * Parses a stored JSON column. The pre-audit wrote it; one that does not parse means the state database was
 * damaged, which no operator action in the pre-audit can mend, so it is a bug-class failure (an exception).
 */
export function parseStored<T>(schema: z.ZodType<T>, json: string, what: string): T {
  const parsed = schema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`stored pre-audit ${what} does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}
