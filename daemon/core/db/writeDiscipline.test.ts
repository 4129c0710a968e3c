import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { isDatabaseBusy } from './writeDiscipline.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function twoConnections() {
  const dir = mkdtempSync(join(tmpdir(), 'bs-writers-'));
  dirs.push(dir);
  const path = join(dir, 'state.db');
  const db = openDatabase(path, []);
  db.exec('CREATE TABLE t (x INTEGER)');
  const other = new Database(path, { timeout: 0 });
  return { db, other };
}

describe('one writer at a time', () => {
  it('a transaction takes the write lock when it begins, before its first read', () => {
    const { db, other } = twoConnections();
    let otherWrite: unknown;
    db.transaction(() => {
      try {
        other.prepare('INSERT INTO t VALUES (1)').run();
      } catch (e) {
        otherWrite = e;
      }
      db.prepare('SELECT count(*) FROM t').get();
      db.prepare('INSERT INTO t VALUES (2)').run();
    })();
    expect(isDatabaseBusy(otherWrite)).toBe(true);
    other.close();
    db.close();
  });

  it('.deferred stays available for a transaction that only reads', () => {
    const { db, other } = twoConnections();
    db.transaction(() => {
      db.prepare('SELECT count(*) FROM t').get();
      other.prepare('INSERT INTO t VALUES (1)').run();
    }).deferred();
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    other.close();
    db.close();
  });

  it('waits for another writer (busy_timeout) rather than failing at once', () => {
    const { db } = twoConnections();
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });
});
