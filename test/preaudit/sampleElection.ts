/**
 * Reads the per-style layout JSON and election definition written by the sample-election
 * generator (scripts/sample-election, `truth/`) into pre-audit style layouts: one layout per
 * style and card (sheet). Ground truth for the accuracy tests and the accuracy script only: the
 * product learns its layouts from the images (learnLayouts.ts) and never reads `truth/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../../daemon/core/result.ts';
import { type ContestDefinition, type StyleLayout, type TargetPosition, writeInOptionId } from '../../daemon/preaudit/layout.ts';
import { ACCUVOTE_OVAL } from '../../daemon/preaudit/targets.ts';

const sampleContest = z.object({
  id: z.string(),
  title: z.string(),
  type: z.enum(['candidate', 'yesno']),
  voteFor: z.number().int().positive(),
  writeIns: z.number().int().nonnegative(),
  options: z.array(z.object({ id: z.string(), name: z.string() })),
});
const sampleElection = z.object({ contests: z.array(sampleContest) });

const sampleTarget = z.object({
  side: z.enum(['front', 'back']),
  column: z.number(),
  row: z.number(),
  contestId: z.string(),
  optionId: z.string().nullable(),
  type: z.enum(['option', 'write-in']),
  writeInIndex: z.number().int().nonnegative().optional(),
});
const sampleSide = z.object({ side: z.enum(['front', 'back']), codeBits: z.array(z.number()), targets: z.array(sampleTarget) });
const sampleLayout = z.object({
  styleId: z.string(),
  styleNumber: z.number().int(),
  /** Absent: the AccuVote family; 'imagecast': Dominion's design (bars and squares, code digits per bottom-bar column). */
  design: z.literal('imagecast').optional(),
  grid: z.object({ pitchXIn: z.number(), columns: z.number().int().positive(), oval: z.object({ widthIn: z.number(), heightIn: z.number() }) }),
  cards: z.array(z.object({ card: z.number().int(), front: sampleSide, back: sampleSide })),
});

/** Layout key for a style's card, as used in sheet readings: `<styleId>/card-<n>`. */
export function sampleLayoutKey(styleId: string, card: number): string {
  return `${styleId}/card-${card}`;
}

/**
 * The ImageCast design's code row as digits per grid column (0 none, 1 upper half bar, 3 full bar;
 * column 0 one pitch left of the first bar): the full start bar in column 0, the code bits from
 * column 1 (the first bar's), the full end bar, then nothing up to the last column.
 */
export function imagecastCodeText(bits: readonly number[], columns: number): string {
  return `3${bits.map((b) => (b === 1 ? '1' : '0')).join('')}3`.padEnd(columns, '0');
}

export interface SampleLayoutOptions {
  /**
   * 'ess-dashed': the Electionware export's ES&S-design layouts (`truth/layouts-ess/`), put on the
   * ES&S reader's grid, whose positions are the border dashes: two per generator grid pitch.
   */
  readonly design?: 'ess-dashed';
}

export function readSampleLayouts(truthDir: string, options: SampleLayoutOptions = {}): Result<Map<string, StyleLayout>> {
  const perPitch = options.design === 'ess-dashed' ? 2 : 1;
  try {
    const election = sampleElection.parse(JSON.parse(readFileSync(path.join(truthDir, 'election.json'), 'utf8')));
    const contests = new Map<string, ContestDefinition>(
      election.contests.map((c) => [
        c.id,
        { id: c.id, title: c.title, seats: c.voteFor, options: c.options, allowWriteIns: c.writeIns > 0 },
      ]),
    );
    const out = new Map<string, StyleLayout>();
    const dir = path.join(truthDir, options.design === 'ess-dashed' ? 'layouts-ess' : 'layouts');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const layout = sampleLayout.parse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      const shape = {
        width: (perPitch * layout.grid.oval.widthIn) / layout.grid.pitchXIn,
        height: (perPitch * layout.grid.oval.heightIn) / layout.grid.pitchXIn,
      };
      for (const card of layout.cards) {
        const targets: TargetPosition[] = [...card.front.targets, ...card.back.targets].map((t) => ({
          side: t.side,
          column: perPitch * t.column,
          row: perPitch * t.row,
          contestId: t.contestId,
          optionId: t.type === 'write-in' ? writeInOptionId(t.writeInIndex ?? 0) : (t.optionId ?? ''),
          isWriteIn: t.type === 'write-in',
        }));
        const used = [...new Set(targets.map((t) => t.contestId))];
        out.set(sampleLayoutKey(layout.styleId, card.card), {
          styleId: sampleLayoutKey(layout.styleId, card.card),
          targets,
          contests: used.map((id) => contests.get(id)).filter((c): c is ContestDefinition => c !== undefined),
          targetShape: Number.isFinite(shape.width) ? shape : ACCUVOTE_OVAL,
          printedCode: { styleNumber: layout.styleNumber, card: card.card },
          ...(layout.design === 'imagecast'
            ? { sideCodes: { front: imagecastCodeText(card.front.codeBits, layout.grid.columns), back: imagecastCodeText(card.back.codeBits, layout.grid.columns) } }
            : {}),
        });
      }
    }
    return ok(out);
  } catch (e) {
    return err(
      operatorError(
        'preaudit-sample-layout-invalid',
        `The sample election's layout files could not be read: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}.`,
        'Regenerate the sample election with scripts/make-sample-election.',
      ),
    );
  }
}
