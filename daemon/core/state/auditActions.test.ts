import { describe, expect, it } from 'vitest';
import { auditWords } from '../../web/auditSentences.ts';
import { AuditActions, isAuditAction } from './auditActions.ts';

describe('audit action catalogue', () => {
  it('every action has a plain title and a one-line doc', () => {
    for (const [name, a] of Object.entries(AuditActions)) {
      expect(name, name).toMatch(/^[a-z]+(\.[a-z-]+)+$/);
      expect(a.title, name).toMatch(/^[A-Z][^._]*$/);
      expect(a.doc.length, name).toBeGreaterThan(10);
      expect(a.doc, name).not.toMatch(/\n/);
    }
  });

  it('the History page takes its titles from the catalogue, and still words an action it does not list', () => {
    const f = { time: (iso: string) => iso };
    expect(auditWords('drive.eject', null, f).title).toBe('Drives made safe to remove');
    expect(auditWords('stick.intake', null, f).title).toBe('Export stick copied');
    expect(isAuditAction('some.old-action')).toBe(false);
    expect(auditWords('some.old-action', null, f).title).toBe('Some old action');
  });
});
