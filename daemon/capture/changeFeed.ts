import type { Db } from '../core/db/database.ts';
import { CatalogStore } from './catalogStore.ts';

/**
 * The one "did anything change?" of the daemon (issue #17): a single timer looks at the catalog's marks
 * (its newest id, and the change mark that also moves when a file changes or disappears) and at any further
 * marks the composition root adds (the importer's active sources), and wakes each subscriber once per change.
 * Nothing runs when nothing changed. Consumers pick what matters to them from the marks they are handed.
 */

export interface ChangeMarks {
  /** The newest catalog version's id: grows with every capture. */
  readonly maxId: number;
  /** Moves with every capture and every file that changed or disappeared (CatalogStore.changeMark). */
  readonly catalog: string;
  /** Further marks by name (e.g. `imports`), as added with `watch`. */
  readonly others: Readonly<Record<string, string>>;
}

export type ChangeListener = (now: ChangeMarks, before: ChangeMarks) => void;

const same = (a: ChangeMarks, b: ChangeMarks): boolean =>
  a.maxId === b.maxId && a.catalog === b.catalog && Object.keys({ ...a.others, ...b.others }).every((k) => a.others[k] === b.others[k]);

export class ChangeFeed {
  private readonly catalog: CatalogStore;
  private readonly sources = new Map<string, () => string>();
  private readonly listeners = new Set<ChangeListener>();
  private timer: NodeJS.Timeout | undefined;
  private last: ChangeMarks;

  constructor(
    db: Db,
    private readonly intervalMs: number,
  ) {
    this.catalog = new CatalogStore(db);
    this.last = this.read();
  }

  /** Adds a named mark (read at each look); its current value is the starting point, so adding it wakes no one. */
  watch(name: string, mark: () => string): void {
    this.sources.set(name, mark);
    this.last = { ...this.last, others: { ...this.last.others, [name]: mark() } };
  }

  /** The marks as of the last look. */
  current(): ChangeMarks {
    return this.last;
  }

  /** Calls `listener` once after each look that found a change; returns the way to stop. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look (the timer calls this; tests may too). Returns whether anything changed. */
  check(): boolean {
    const now = this.read();
    if (same(now, this.last)) return false;
    const before = this.last;
    this.last = now;
    for (const listener of [...this.listeners]) listener(now, before);
    return true;
  }

  private read(): ChangeMarks {
    const others: Record<string, string> = {};
    for (const [name, mark] of this.sources) others[name] = mark();
    return { maxId: this.catalog.maxVersionId(), catalog: this.catalog.changeMark(), others };
  }
}

/**
 * Runs `work` when woken; a wake during a run runs it once more afterwards (so a change seen mid-run is not
 * lost), however many wakes came meanwhile. Returns the wake function and a way to wait for the run in flight.
 */
export function coalescingRun(work: () => Promise<unknown>): { wake: () => void; idle: () => Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      await work();
    } while (again);
  };
  return {
    wake: () => {
      if (running !== undefined) {
        again = true;
        return;
      }
      running = loop().finally(() => {
        running = undefined;
      });
    },
    idle: async () => {
      await running;
    },
  };
}
