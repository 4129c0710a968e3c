/** Messages between the capture engine and its copy workers (copyWorker.mjs). Plain data only. */

export interface FileStat {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
}

export interface CopyRequest {
  readonly type: 'copy';
  readonly id: number;
  /** Source path as raw bytes: names that are not valid UTF-8 reach the kernel byte for byte. */
  readonly path: Uint8Array;
  readonly tempPath: string;
  /** Also hash the first this-many bytes on their own (the captured version's size: was it only appended to?). */
  readonly prefixBytes?: number;
  /** Test hook: the worker stops after its first chunk until index 0 of this buffer is set. */
  readonly pauseAfterFirstChunk?: SharedArrayBuffer;
}

/** Where a copy worker's time went on one file (milliseconds), for the capture benchmark's breakdown. */
export interface CopyTiming {
  readonly openMs: number;
  readonly readMs: number;
  readonly hashMs: number;
  readonly writeMs: number;
  /** The re-check of the source after reading. */
  readonly closeMs: number;
  /** From asking for the temp copy's fdatasync to its answer (runs in libuv's pool while the worker copies on). */
  readonly syncMs: number;
}

/** Where a commit's time went (milliseconds). */
export interface CommitTiming {
  /** fsync of the folders renamed into. */
  readonly syncMs: number;
  readonly renameMs: number;
}

export interface CommitItem {
  readonly tempPath: string;
  readonly objectPath: string;
}

export interface CommitRequest {
  readonly type: 'commit';
  readonly id: number;
  readonly items: readonly CommitItem[];
  /** The vault's objects folder (synced too when a new fan-out folder is made in it). */
  readonly objectsDir: string;
}

export type WorkerRequest = CopyRequest | CommitRequest;

/** A copy is answered 'copied' only once its temp copy's data is durable (fdatasync), unless it changed while read (the engine discards it). */
export type CopyOutcome =
  | {
      readonly kind: 'copied';
      readonly sha256: string;
      readonly bytes: number;
      readonly before: FileStat;
      readonly after: FileStat | undefined;
      /** SHA-256 of the first prefixBytes bytes, when asked for and the file is that long. */
      readonly prefixSha256?: string;
      readonly timing: CopyTiming;
    }
  /** Not a regular file when opened (a folder or device swapped in). */
  | { readonly kind: 'not-a-file' }
  | { readonly kind: 'open-failed'; readonly code: string; readonly message: string }
  /** Reading the source ('source') or writing or syncing the temp copy in the vault ('vault') failed; the temp file is already removed. */
  | { readonly kind: 'copy-failed'; readonly code: string; readonly message: string; readonly side: 'source' | 'vault' };

export type CommitOutcome =
  | { readonly kind: 'committed'; readonly deduplicated: readonly boolean[]; readonly timing: CommitTiming }
  | { readonly kind: 'commit-failed'; readonly code: string; readonly message: string };

export type WorkerReply =
  | { readonly type: 'copy'; readonly id: number; readonly outcome: CopyOutcome }
  | { readonly type: 'commit'; readonly id: number; readonly outcome: CommitOutcome }
  | { readonly type: 'first-chunk'; readonly id: number };
