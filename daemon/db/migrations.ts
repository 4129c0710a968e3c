import { captureMigrations } from '../capture/schema.ts';
import { snapshotMigrations } from '../snapshot/schema.ts';
import { coreMigrations } from './coreSchema.ts';
import { importMigrations } from '../importer/schema.ts';
import { drivesMigrations } from '../drives/schema.ts';
import { webMigrations } from '../web/schema.ts';
import { preauditMigrations } from '../preaudit/schema.ts';
import { custodyMigrations } from '../custody/schema.ts';
import { intakeMigrations } from '../intake/schema.ts';

/** One ordered list of steps per area. Never edit a shipped step; append a new one. */
export interface MigrationSet {
  readonly area: string;
  readonly steps: readonly string[];
}

// Each area appends its MigrationSet here (one import, one entry).
export const allMigrations: readonly MigrationSet[] = [coreMigrations, captureMigrations, snapshotMigrations, drivesMigrations, webMigrations, importMigrations, preauditMigrations, custodyMigrations, intakeMigrations];
