import { captureMigrations } from '../capture/schema.ts';
import { snapshotMigrations } from '../snapshot/schema.ts';
import { coreMigrations } from '../core/db/coreSchema.ts';
import type { MigrationSet } from '../core/db/database.ts';
import { importMigrations } from '../importer/schema.ts';
import { drivesMigrations } from '../drives/schema.ts';
import { webMigrations } from '../web/schema.ts';
import { preauditMigrations } from '../preaudit/schema.ts';
import { custodyMigrations } from '../custody/schema.ts';
import { intakeMigrations } from '../intake/schema.ts';

// The state database's schema, every area in order. It lives in runtime/ (the composition root) because it names
// every module's schema; db/ keeps only the runner, so no module's schema.ts imports a file that imports it back.
// Each area appends its MigrationSet here (one import, one entry).
export const allMigrations: readonly MigrationSet[] = [coreMigrations, captureMigrations, snapshotMigrations, drivesMigrations, webMigrations, importMigrations, preauditMigrations, custodyMigrations, intakeMigrations];
