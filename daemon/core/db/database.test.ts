import { describe, expect, it } from 'vitest';
import { openDatabase, migrate } from './database.ts';
import { coreMigrations } from './coreSchema.ts';
import { AuditLog } from '../state/auditLog.ts';
import { silentLogger } from '../log/logger.ts';

describe('database', () => {
  it('applies each migration step once', () => {
    const db = openDatabase(':memory:', []);
    const set = { area: 'test', steps: ['CREATE TABLE t (x INTEGER)', 'INSERT INTO t VALUES (1)'] };
    migrate(db, [set]);
    migrate(db, [set]);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    migrate(db, [{ area: 'test', steps: [...set.steps, 'INSERT INTO t VALUES (2)'] }]);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
  });

  it('keeps the audit log append-only', () => {
    const db = openDatabase(':memory:', [coreMigrations]);
    const audit = new AuditLog(db, silentLogger());
    audit.record('alice', 'snapshot.requested', { reason: 'end-of-day' });
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(audit.recent().map((e) => e.actor)).toEqual(['alice']);
  });
});
