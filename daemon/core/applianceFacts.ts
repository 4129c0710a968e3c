import { randomUUID } from 'node:crypto';
import type { Db } from './db/database.ts';

/**
 * The appliance's small key/value facts (table appliance_facts): its id, written once and put into every drive
 * identity and snapshot record, and capture's "root missing since" marks. The one place that reads or writes them.
 */

const APPLIANCE_ID = 'appliance_id';

export function readFact(db: Db, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM appliance_facts WHERE key = ?').get(key)?.value;
}

/** Sets a fact, or removes it when `value` is undefined. */
export function writeFact(db: Db, key: string, value: string | undefined): void {
  if (value === undefined) db.prepare('DELETE FROM appliance_facts WHERE key = ?').run(key);
  else db.prepare('INSERT OR REPLACE INTO appliance_facts (key, value) VALUES (?, ?)').run(key, value);
}

/** The appliance's id, made on first use; a second process making it at the same time keeps the first one written. */
export function applianceId(db: Db, newId: () => string = randomUUID): string {
  db.prepare('INSERT OR IGNORE INTO appliance_facts (key, value) VALUES (?, ?)').run(APPLIANCE_ID, newId());
  const id = readFact(db, APPLIANCE_ID);
  if (id === undefined) throw new Error('appliance_id missing after insert');
  return id;
}
