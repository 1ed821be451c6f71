// Contracts between the tailer (this folder), the checkpoint store (src/store) and the pipeline.

/** Which file this is, independent of its name: device, inode, and a hash of its first bytes. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  fingerprint: Fingerprint;
}

/** Hash of the first `length` bytes (length grows with the file up to FINGERPRINT_MAX_BYTES). */
export interface Fingerprint {
  /** hex sha256 of the first `length` bytes (of the decompressed content for .gz files) */
  hash: string;
  length: number;
}

export const FINGERPRINT_MAX_BYTES = 1024;

export type CheckpointState = 'active' | 'retired';

/** One row of table `checkpoints`: the position in one file identity. Its id is events.file_id. */
export interface StoredCheckpoint {
  id: number;
  source: string;
  path: string;
  dev: bigint;
  ino: bigint;
  fingerprint: Fingerprint;
  /** bytes consumed: the offset just after the last complete line committed */
  offset: number;
  compressed: boolean;
  state: CheckpointState;
  /** ms since epoch of the last update (wall clock) */
  updated_at: number;
}

export interface NewCheckpoint {
  source: string;
  path: string;
  dev: bigint;
  ino: bigint;
  fingerprint: Fingerprint;
  offset: number;
  compressed: boolean;
}

/**
 * What the tailer needs from the store. `register`, `retire` and `reset` commit immediately in their own
 * small transaction (they describe files, not data); the offset of data read is advanced by the pipeline
 * inside the transaction that stores the events of those bytes (see `LineBatch.endOffset`).
 */
export interface CheckpointRegistry {
  list(source: string): StoredCheckpoint[];
  register(entry: NewCheckpoint): number;
  /** a file the tailer is done with (rotated away and drained, or truncated): kept for dedupe, never resumed */
  retire(id: number): void;
  /** record a renamed path or a grown fingerprint (no offset change) */
  describe(id: number, path: string, fingerprint: Fingerprint): void;
}

/** One line, as bytes were read. `offset` is the byte offset of its first byte. */
export interface Line {
  offset: number;
  /** byte length including the line terminator (\n or \r\n); for an unterminated final line, its length */
  length: number;
  /** decoded text without the terminator; for an oversized line, only its first bytes (a sample) */
  text: string;
  /** line longer than max_line_bytes: text is a sample, the rest was skipped */
  oversized?: true;
  /** bytes that are not valid UTF-8 (text holds U+FFFD replacement characters) */
  invalidUtf8?: true;
  /** the file ended without a newline and was retired (rotated away and idle, or a finished rotated file) */
  unterminated?: true;
}

/** A run of consecutive lines from one file, handed to the pipeline. */
export interface LineBatch {
  source: string;
  /** checkpoints.id of the file */
  fileId: number;
  path: string;
  lines: Line[];
  /** the checkpoint offset to commit with these lines (after the last byte consumed) */
  endOffset: number;
}
