import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import type { CatalogSource, CatalogVersion } from './catalog.ts';
import { fileVersionIdsInSnapshots } from './store.ts';

/** Reads capture's catalog through its store; which versions a snapshot already holds comes from snapshot/store.ts. */
export class SqlCatalogSource implements CatalogSource {
  private readonly catalog: CatalogStore;

  constructor(private readonly db: Db) {
    this.catalog = new CatalogStore(db);
  }

  allVersions(): CatalogVersion[] {
    return this.catalog.versionsForSnapshot();
  }

  versionsNotInSnapshots(): CatalogVersion[] {
    const inSnapshots = fileVersionIdsInSnapshots(this.db);
    return this.catalog.versionsForSnapshot((id) => inSnapshots.has(id));
  }
}
