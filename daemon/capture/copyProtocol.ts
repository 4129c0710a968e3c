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
  /** Closing the temp copy and the re-check of the source after reading. */
  readonly closeMs: number;
}

/** Where a commit's time went (milliseconds). */
export interface CommitTiming {
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

/** Start making these temp copies' data durable now (no answer; the commit that names them waits for it). */
export interface SyncDataRequest {
  readonly type: 'sync-data';
  readonly tempPaths: readonly string[];
}

export type WorkerRequest = CopyRequest | CommitRequest | SyncDataRequest;

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
  /** Reading the source ('source') or writing the temp copy into the vault ('vault') failed; the temp file is already removed. */
  | { readonly kind: 'copy-failed'; readonly code: string; readonly message: string; readonly side: 'source' | 'vault' };

export type CommitOutcome =
  | { readonly kind: 'committed'; readonly deduplicated: readonly boolean[]; readonly timing: CommitTiming }
  | { readonly kind: 'commit-failed'; readonly code: string; readonly message: string };

export type WorkerReply =
  | { readonly type: 'copy'; readonly id: number; readonly outcome: CopyOutcome }
  | { readonly type: 'commit'; readonly id: number; readonly outcome: CommitOutcome }
  | { readonly type: 'first-chunk'; readonly id: number };
