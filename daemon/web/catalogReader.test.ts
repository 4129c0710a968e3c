import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { rootStatusFromCapture } from './catalogReader.ts';

describe('export folder status for the overview', () => {
  it('says since when a folder is unreachable in local words, not as a raw ISO time', () => {
    const parsed = parseConfig({ dataDir: '/nonexistent-data', roots: [{ label: 'ess-export', path: '/nonexistent-share/ess' }] }, '/');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const db = openStateDatabase(':memory:');
    const since = new Date();
    db.prepare('INSERT INTO appliance_facts (key, value) VALUES (?, ?)').run('capture.root-missing:ess-export', since.toISOString());
    const [status] = rootStatusFromCapture(parsed.value, db).roots();
    expect(status?.state).toBe('missing');
    expect(status?.message).toMatch(/\(since today \d/);
    expect(status?.message).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});
