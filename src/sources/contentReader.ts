// What the tailer reads a file through: plain by position, or a .gz decompressed as a stream. Positions
// count content bytes (decompressed bytes for .gz), the unit of checkpoint offsets.

export interface ContentReader {
  readonly compressed: boolean;
  /** content offset of the next byte `read` returns */
  readonly position: number;
  /**
   * Copy up to `length` next content bytes into `target` (from index 0) and advance. Resolves 0 when no
   * byte is available now (end of the file so far, or end of a compressed stream).
   */
  read(target: Buffer, length: number): Promise<number>;
  close(): Promise<void>;
}
