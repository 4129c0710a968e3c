import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('fills defaults that run the demo', () => {
    const result = parseConfig({}, '/srv/demo');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.roots.map((r) => r.label)).toEqual(['dominion-export', 'ess-export', 'election-files', 'results']);
    expect(result.value.dataDir).toBe('/srv/demo/demo-data/var');
    expect(result.value.drives).toEqual({ mode: 'folders', a: '/srv/demo/demo-data/drive-a', b: '/srv/demo/demo-data/drive-b' });
  });

  it('names the key and what is allowed when a value is wrong', () => {
    const result = parseConfig({ roots: [{ label: 'Central Scan!', path: '/x' }], web: { port: 99999 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain('roots.0.label: must be lowercase letters, digits and dashes');
    expect(result.error.message).toContain('web.port');
  });

  it('refuses unknown keys and duplicate root labels', () => {
    const unknown = parseConfig({ capture: { settleMS: 5 } });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error.message).toContain('settleMS');
    const dup = parseConfig({ roots: [{ label: 'a', path: '/a' }, { label: 'a', path: '/b' }] });
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.error.message).toContain('root labels must be unique');
  });
});
