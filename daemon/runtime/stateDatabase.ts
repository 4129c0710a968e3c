import { openDatabase, type Db } from '../core/db/database.ts';
import { allMigrations } from './migrations.ts';

export type { Db };

/** Opens the appliance's state database with every area's schema (the daemon, each command, tests). */
export function openStateDatabase(path: string): Db {
  return openDatabase(path, allMigrations);
}
