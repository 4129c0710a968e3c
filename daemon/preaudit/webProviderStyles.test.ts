/** The Pre-audit page's style list carries how sure OCR was of each style's mapping. */
import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import type { StyleLayout } from './layout.ts';
import { ACCUVOTE_OVAL } from './targets.ts';
import type { PreauditStatus } from './webApi.ts';
import { PreauditWebProvider } from './webProvider.ts';

const layout = (styleId: string, mappingConfidence?: number): StyleLayout => ({
  styleId,
  targets: [{ side: 'front', column: 3, row: 10, contestId: 'c', optionId: 'o', isWriteIn: false }],
  contests: [{ id: 'c', title: 'Governor', seats: 1, options: [{ id: 'o', name: 'Jane Roe' }], allowWriteIns: false }],
  targetShape: ACCUVOTE_OVAL,
  ...(mappingConfidence === undefined ? {} : { mappingConfidence }),
});

describe('learned styles: mapping confidence', () => {
  it('is returned per style as OCR learned it; none for a style a person mapped', () => {
    const db = openStateDatabase(':memory:');
    try {
      const insert = db.prepare(
        `INSERT INTO preaudit_learned_styles (definitions_sha256, style_id, status, layout_json, printed, reason, unresolved_json, pages, ocr_ms, learned_at, mapping_json, mapped_by)
         VALUES ('sig', ?, 'mapped', ?, 'style 1 card 1', NULL, NULL, 3, 10, '2026-11-03T20:00:00Z', NULL, ?)`,
      );
      insert.run('style-1', JSON.stringify(layout('style-1', 0.83)), null);
      insert.run('style-2', JSON.stringify(layout('style-2', 1)), 'olivia');
      insert.run('style-3', JSON.stringify(layout('style-3')), null);
      const web = new PreauditWebProvider(db, () => ({}) as PreauditStatus);
      const byId = new Map(web.styles().map((s) => [s.styleId, s.mappingConfidence]));
      expect(byId.get('style-1')).toBe(0.83);
      expect(byId.get('style-2')).toBeNull();
      expect(byId.get('style-3')).toBeNull();
    } finally {
      db.close();
    }
  });
});
