import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applianceId, readFact, writeFact } from './applianceFacts.ts';
import { coreMigrations } from './db/coreSchema.ts';
import { openDatabase } from './db/database.ts';

describe('appliance facts', () => {
  it('makes the appliance id once: a second process opening the same file gets the same id', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'facts-')), 'state.db');
    const first = openDatabase(path, [coreMigrations]);
    const second = openDatabase(path, [coreMigrations]);
    const id = applianceId(first, () => 'id-one');
    expect(id).toBe('id-one');
    expect(applianceId(second, () => 'id-two')).toBe('id-one');
    expect(applianceId(first)).toBe('id-one');
    first.close();
    second.close();
  });

  it('sets, replaces and removes a fact', () => {
    const db = openDatabase(':memory:', [coreMigrations]);
    expect(readFact(db, 'capture.root-missing:a')).toBeUndefined();
    writeFact(db, 'capture.root-missing:a', 'since-1');
    writeFact(db, 'capture.root-missing:a', 'since-2');
    expect(readFact(db, 'capture.root-missing:a')).toBe('since-2');
    writeFact(db, 'capture.root-missing:a', undefined);
    expect(readFact(db, 'capture.root-missing:a')).toBeUndefined();
  });
});
