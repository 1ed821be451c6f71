// One open file the tailer reads: its checkpoint id, identity, reader and line splitter, and what it has
// seen of the file's growth (for rotate-wait). The tailer drives it; this file only holds the state.
import type { ContentReader } from './contentReader.js';
import { PlainFileReader } from './fileReader.js';
import { GzipFileReader } from './gzipReader.js';
import { LineSplitter } from './lineSplitter.js';
import type { Fingerprint, Line } from './types.js';

/**
 * pending: open, not yet registered (no complete line yet)
 * active: registered, being read
 * finishing: its last, unterminated line waits to be handed out
 * retiring: everything was handed out; retired once the registry shows it all committed
 * rewritten: truncated or rewritten under us; handled once what was handed out is committed
 * complete: replay read a live file to its end (its last partial line waits for a later run)
 * closed: retired or dropped; its descriptor is closed
 */
export type TrackedPhase = 'pending' | 'active' | 'finishing' | 'retiring' | 'rewritten' | 'complete' | 'closed';

export class TrackedFile {
  id: number | null = null;
  phase: TrackedPhase;
  readonly splitter: LineSplitter;
  /** on-disk size when last seen (plain files) */
  size: number;
  /** clock ms of the last growth seen */
  lastGrowthAt: number;
  /** clock ms since which the file is at no path the source matches (null while it is) */
  notLiveSince: number | null = null;
  /** the final line held back for hand-out while `finishing` */
  finalLine: Line | null = null;
  /** clock ms since decompression of a growing .gz failed (null when it did not) */
  gzipFailedAt: number | null = null;
  gzipFailedSize = 0;

  constructor(
    public path: string,
    readonly dev: bigint,
    readonly ino: bigint,
    readonly reader: ContentReader,
    /** first content bytes the fingerprint covers (grows to FINGERPRINT_MAX_BYTES) */
    public prefix: Buffer,
    public fingerprint: Fingerprint,
    /** rotation family (the live path it is a generation of) */
    readonly lineage: string,
    public live: boolean,
    /** where reading starts once registered */
    public startOffset: number,
    maxLineBytes: number,
    now: number,
  ) {
    this.splitter = new LineSplitter(maxLineBytes, startOffset);
    this.phase = 'pending';
    this.size = 0;
    this.lastGrowthAt = now;
  }

  get compressed(): boolean {
    return this.reader.compressed;
  }

  get plain(): PlainFileReader | null {
    return this.reader instanceof PlainFileReader ? this.reader : null;
  }

  get gzip(): GzipFileReader | null {
    return this.reader instanceof GzipFileReader ? this.reader : null;
  }

  /** offset just after the last line handed out (the pipeline commits it, maybe some batches later) */
  get handedOutOffset(): number {
    return this.splitter.endOffset;
  }

  /** every byte the file has now was read (growth may still come) */
  get readToEnd(): boolean {
    const gz = this.gzip;
    if (gz !== null) return gz.ended || gz.failure !== null;
    return this.reader.position >= this.size;
  }
}
