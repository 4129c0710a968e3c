import { describe, expect, it } from 'vitest';
import { alertCodeSpec, AlertCodes, forwardedCode } from './alertCodes.ts';

describe('alert code catalogue', () => {
  it('every code has a severity, a short title and what to do, in plain words', () => {
    for (const [code, a] of Object.entries(AlertCodes)) {
      expect(code, code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(['info', 'warning', 'critical'], code).toContain(a.severity);
      expect(a.title, code).toMatch(/^[A-Z]/);
      expect(a.whatToDo.length, code).toBeGreaterThan(5);
      // Words for clerks: no commands to run, no "(s)" plurals, no system error names.
      for (const text of [a.title, a.whatToDo]) expect(text, code).not.toMatch(/\(s\)|ENOENT|EACCES|\brun `|ballotsafe [a-z]/);
    }
  });

  it('looks a code up, and a forwarded error code stays the error code', () => {
    expect(alertCodeSpec('vault-full')?.severity).toBe('critical');
    expect(alertCodeSpec('bag-signature-missing')).toBeUndefined();
    expect(alertCodeSpec('toString')).toBeUndefined();
    expect(forwardedCode({ code: 'bag-signature-missing' })).toBe('bag-signature-missing');
  });
});
