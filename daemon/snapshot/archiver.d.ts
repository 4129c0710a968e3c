// archiver 8 ships no types; the little of ZipArchive this module uses.
declare module 'archiver' {
  import type { Readable, Writable } from 'node:stream';
  export interface ZipArchiveOptions {
    store?: boolean;
    forceZip64?: boolean;
    comment?: string;
  }
  export interface EntryData {
    name: string;
    date?: Date | string;
    mode?: number;
    store?: boolean;
  }
  export class ZipArchive extends Readable {
    constructor(options?: ZipArchiveOptions);
    append(source: Readable | Buffer | string, data: EntryData): this;
    file(path: string, data: EntryData): this;
    finalize(): Promise<void>;
    pointer(): number;
    override pipe<T extends Writable>(destination: T, options?: { end?: boolean }): T;
  }
}
