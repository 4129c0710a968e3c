import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';

/**
 * Calls `onGrowth` when the catalog gained rows since the last look. The catalog is the contract
 * between capture and what follows it, so the export-settled trigger needs no hook inside capture.
 */
export class CatalogGrowthWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastId: number;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly onGrowth: () => void,
  ) {
    this.lastId = this.maxId();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look (the timer calls this; tests may too). Returns whether the catalog grew. */
  check(): boolean {
    const id = this.maxId();
    if (id <= this.lastId) return false;
    this.lastId = id;
    this.onGrowth();
    return true;
  }

  private maxId(): number {
    return new CatalogStore(this.db).maxVersionId();
  }
}
