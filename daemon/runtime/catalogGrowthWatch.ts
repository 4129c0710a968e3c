import type { ChangeFeed } from '../capture/changeFeed.ts';

/**
 * Calls `onGrowth` when the catalog gained rows (the one change feed saw its newest id grow). The catalog is
 * the contract between capture and what follows it, so the export-settled trigger needs no hook inside capture.
 */
export class CatalogGrowthWatch {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly onGrowth: () => void,
  ) {}

  start(): void {
    this.unsubscribe ??= this.feed.subscribe((now, before) => {
      if (now.maxId > before.maxId) this.onGrowth();
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
