// The tailer of one source: finds its files, matches them to checkpoints, and hands out batches of lines
// with the exact (file, offset) pairs the pipeline commits with the events. It never skips or repeats a byte
// across rename rotation, copytruncate, several rotations while behind, restarts, and gzipped rotated copies.
//
// Follow mode in short (design points of shared/reference/tailing-anchors.md section 5):
// - every poll stats the glob's files; a new inode at a path is opened at once and queued behind the older
//   generation (never wait for the old one first: a second rotation in that wait skips a generation);
// - a rotated-away or deleted file keeps being read through its descriptor until it has been quiet for
//   rotate_wait_ms, then its unterminated last fragment (if any) is handed out and it is retired;
// - a file that shrank below what was read, or whose first bytes changed, was truncated: the unread tail is
//   read from the rotated sibling holding the same first bytes (plain or .gz), then the file is a new one;
// - whenever a rotation is seen, the siblings are scanned so a generation born and rotated between two polls
//   is read too;
// - reading is pull-based (one batch per read()), so a slow store slows reading and nothing is dropped.
import { watch, type FSWatcher } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { SourceConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { lineageOf, openSameInode, scanCandidate, type CandidateFile } from './candidateFile.js';
import { findKnownRow } from './checkpointMatcher.js';
import { endOfLastLine, PlainFileReader, startsWithBytes } from './fileReader.js';
import { inodeKey, statHandle, statPath, type FileStat } from './fileIdentity.js';
import { fingerprintOf, prefixMatches, readPlainPrefix } from './fingerprint.js';
import { GzipFileReader } from './gzipReader.js';
import { PathsProvider } from './pathsProvider.js';
import { compareGenerations, generationOf, lineageBase, listRotatedSiblings, type Generation } from './rotatedSiblings.js';
import { lookAtSiblings } from './siblingLook.js';
import { planStart, type StartAction } from './startPlan.js';
import { TrackedFile } from './trackedFile.js';
import { TrackedSet } from './trackedSet.js';
import {
  FINGERPRINT_MAX_BYTES,
  type CheckpointRegistry,
  type Line,
  type LineBatch,
  type StoredCheckpoint,
} from './types.js';

export interface TailerOptions {
  source: SourceConfig;
  checkpoints: CheckpointRegistry;
  mode: 'follow' | 'replay';
  /** replay only: read exactly these files (plain or .gz) as this source instead of the source's glob */
  files?: string[];
  logger: Logger;
  /** injectable clock (ms) for rotate-wait decisions in tests */
  now?: () => number;
}

export interface TailedFileStatus {
  fileId: number;
  path: string;
  offset: number;
  size: number;
  state: 'reading' | 'draining' | 'done';
  compressed: boolean;
}

/** The largest single read; read(maxBytes) reads min(maxBytes, this) bytes at a time. */
const READ_BUFFER_BYTES = 1024 * 1024;
/** How many finished files status() remembers. */
const DONE_STATUS_KEPT = 64;
/** The single family that orders all files in replay mode (oldest first, one after another). */
const REPLAY_FAMILY = '';
const LF = 0x0a;

type Position = { generation: Generation; mtimeMs: number };

export class SourceTailer {
  private readonly source: SourceConfig;
  private readonly checkpoints: CheckpointRegistry;
  private readonly mode: 'follow' | 'replay';
  private readonly files: string[] | undefined;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly paths: PathsProvider;
  private readonly isSourceFile: (path: string) => boolean;

  private readonly tracked: TrackedSet;
  /** files that wait for the pipeline to commit what was handed out (retiring or rewritten) */
  private readonly awaitingCommit = new Set<TrackedFile>();
  /** round-robin position among the families */
  private nextFamily = 0;
  private readonly doneStatus: TailedFileStatus[] = [];
  private readonly warnedUnreadable = new Set<string>();
  private readonly buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private lastPollAt = -Infinity;
  private lifecycle: 'new' | 'started' | 'closed' = 'new';
  private readonly watchers = new Map<string, FSWatcher>();
  private changeSeen = false;
  private wakers: Array<() => void> = [];

  constructor(opts: TailerOptions) {
    this.source = opts.source;
    this.checkpoints = opts.checkpoints;
    this.mode = opts.mode;
    this.files = opts.files;
    this.log = opts.logger.child({ source: opts.source.name });
    this.now = opts.now ?? Date.now;
    this.paths = new PathsProvider(opts.source.path);
    this.isSourceFile = (path) => this.paths.matches(path);
    this.tracked = new TrackedSet((lineage) => (this.mode === 'replay' ? REPLAY_FAMILY : lineage));
  }

  /**
   * Replay mode: every line of every file was handed out. Rotated files are retired once their last batch
   * is committed (seen on the next read(), poll() or close()).
   */
  get finished(): boolean {
    if (this.mode !== 'replay' || this.lifecycle !== 'started') return false;
    for (const f of this.tracked.all()) if (f.phase !== 'complete' && f.phase !== 'retiring') return false;
    return true;
  }

  // ---- start ------------------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.lifecycle !== 'new') throw new Error(`tailer of source ${this.source.name} was already started`);
    this.lifecycle = 'started';
    for (let attempt = 0; ; attempt++) {
      if (await this.startOnce() || attempt >= 4) break;
      // a file moved between the look and the open: forget everything and look again
      this.log.info({ attempt }, 'files were rotated while starting; looking at them again');
      await this.closeTracked();
    }
    if (this.mode === 'follow') {
      this.lastPollAt = this.now();
      this.watchDirectories();
    }
  }

  /** Plan from the checkpoints and the files, and open what the plan says. False if a file moved meanwhile. */
  private async startOnce(): Promise<boolean> {
    const rows = this.checkpoints.list(this.source.name);
    const candidates = await this.stableCandidates(rows);
    const plan = planStart({ mode: this.mode, startAt: this.source.start_at, rows, candidates });

    if (this.mode === 'follow') {
      for (const { row, rewritten } of plan.lost) {
        const fields = { fileId: row.id, path: row.path, offset: row.offset, rewrittenAt: rewritten?.path ?? null };
        if (rewritten === null && !(await directoryExists(dirname(row.path)))) {
          // an unmounted or not yet created log directory: the file may come back, and is resumed then
          this.log.warn(fields, 'directory of a checkpointed file is missing; its checkpoint is kept');
          continue;
        }
        this.log.warn(
          fields,
          rewritten !== null
            ? 'checkpointed file was truncated or rewritten while stopped and no rotated copy holds its tail; bytes after the offset are lost'
            : 'checkpointed file is gone; it is no longer tailed',
        );
        this.checkpoints.retire(row.id);
      }
    }
    for (const { candidate, reason } of plan.skipped) {
      this.tracked.ignore(inodeKey(candidate), candidate.changeStamp);
      if (reason === 'unreadable') this.warnUnreadable(candidate);
      else this.log.debug({ path: candidate.path, reason }, 'file not read');
    }
    const now = this.now();
    for (const family of plan.families) {
      for (const action of family.actions) {
        if (!(await this.openPlanned(action, now))) return false;
      }
    }
    return true;
  }

  /**
   * The candidate files, looked at twice until both looks agree on which inode is at which path: a rotation
   * in the middle of a look could otherwise hide a generation, and its checkpoint would seem lost.
   */
  private async stableCandidates(rows: readonly StoredCheckpoint[]): Promise<CandidateFile[]> {
    let candidates: CandidateFile[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const paths = await this.candidatePaths(rows);
      candidates = [];
      const seen = new Map<string, string>();
      for (const path of paths) {
        const c = await scanCandidate(path, this.isSourceFile);
        if (c !== null) candidates.push(c);
        seen.set(path, c === null ? '' : inodeKey(c));
      }
      const again = await this.candidatePaths(rows);
      let stable = again.length === paths.length;
      for (const path of again) {
        if (!stable) break;
        const st = await statPath(path).catch(() => null);
        const now = st === null || !st.isFile ? '' : inodeKey(st);
        stable = seen.get(path) === now;
      }
      if (stable) break;
    }
    return candidates;
  }

  private async closeTracked(): Promise<void> {
    const files = this.tracked.clear();
    this.awaitingCommit.clear();
    this.nextFamily = 0;
    for (const f of files) f.phase = 'closed';
    await Promise.all(files.map((f) => f.reader.close().catch(() => undefined)));
  }

  private async candidatePaths(rows: readonly StoredCheckpoint[]): Promise<string[]> {
    if (this.mode === 'replay' && this.files !== undefined) return [...new Set(this.files.map((f) => resolve(f)))];
    const live = await this.paths.expand();
    const out = new Set(live);
    // on a first follow start only the glob's files are read, so their siblings need not be looked at
    if (this.mode === 'follow' && rows.length === 0) return [...out];
    const bases = new Set(live);
    if (this.mode === 'follow') {
      for (const row of rows) {
        const base = lineageBase(row.path);
        if (this.isSourceFile(base)) bases.add(base);
      }
    }
    for (const base of bases) for (const sibling of await listRotatedSiblings(base)) out.add(sibling);
    return [...out].sort();
  }

  /** Open a planned file; false when it is no longer at its path (rotated since it was looked at). */
  private async openPlanned(action: StartAction, now: number): Promise<boolean> {
    const c = action.candidate;
    const handle = await openSameInode(c.path, c);
    if (handle === null) return false;
    if (action.kind === 'fresh') {
      const offset = action.from === 'end' && !c.compressed ? await endOfLastLine(handle, c.size) : 0;
      const f = await this.track(c, handle, offset, now);
      if (f === null) return true;
      if (this.mode === 'replay') {
        if (c.size === 0) f.phase = 'complete';
        else this.register(f);
      } else {
        await this.tryRegister(f);
      }
      this.log.info({ path: c.path, offset, fileId: f.id }, 'reading new file');
      return true;
    }
    const row = action.row;
    const f = await this.track(c, handle, row.offset, now);
    if (f === null) return true;
    if (action.kind === 'resume') {
      f.id = row.id;
      f.phase = 'active';
      if (row.path !== c.path || row.fingerprint.length < f.fingerprint.length) {
        this.checkpoints.describe(row.id, c.path, f.fingerprint);
      }
      this.log.info({ path: c.path, fileId: row.id, offset: row.offset, compressed: c.compressed }, 'resuming at checkpoint');
    } else {
      this.register(f);
      if (this.mode === 'follow') this.checkpoints.retire(row.id);
      this.log.info(
        { path: c.path, fileId: f.id, previousFileId: row.id, previousPath: row.path, offset: row.offset, compressed: c.compressed },
        'resuming a checkpoint from a rotated copy of its file',
      );
    }
    return true;
  }

  /** Start following a file: reader at `offset`, placed last in its family. Null if a .gz ends before it. */
  private async track(c: CandidateFile, handle: FileHandle, offset: number, now: number): Promise<TrackedFile | null> {
    const reader = c.compressed ? await GzipFileReader.open(handle, offset) : new PlainFileReader(handle, offset);
    if (reader.position < offset) {
      this.log.warn({ path: c.path, offset, length: reader.position }, 'compressed copy is shorter than the checkpoint; skipped');
      await reader.close();
      return null;
    }
    const f = new TrackedFile(c.path, c.dev, c.ino, reader, c.prefix, fingerprintOf(c.prefix), c.lineage, c.live,
      offset, this.source.max_line_bytes, now);
    f.size = c.size;
    f.notLiveSince = c.live ? null : now;
    this.tracked.add(f, null);
    return f;
  }

  // ---- reading ----------------------------------------------------------------------------------------

  /**
   * The next lines of one file (about `maxBytes` of input at most), or null when nothing is ready now.
   * Batches may be committed several reads later; nothing that depends on a commit (retiring a file, handing
   * a truncated file's tail over to its copy) happens before the registry shows that commit.
   */
  async read(maxBytes: number): Promise<LineBatch | null> {
    this.assertStarted();
    await this.settleCommitted();
    if (this.mode === 'follow' && this.now() - this.lastPollAt >= this.source.poll_interval_ms) await this.poll();
    const keys = this.tracked.familyKeys();
    for (let k = 0; k < keys.length; k++) {
      const index = (this.nextFamily + k) % keys.length;
      const family = this.tracked.family(keys[index]!);
      if (family === undefined) continue;
      const batch = await this.readFamily(family, maxBytes);
      if (batch !== null) {
        this.nextFamily = index + 1;
        return batch;
      }
    }
    return null;
  }

  /**
   * Oldest generation first; a newer one only when the older ones have nothing ready. Starts over (a few
   * times at most) when a read found an older generation grown or a file rewritten.
   */
  private async readFamily(family: TrackedFile[], maxBytes: number): Promise<LineBatch | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      // a snapshot: finishing, rewriting or claiming a copy reorders the family while we go through it
      const files = [...family];
      let again = false;
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        if (f.phase === 'pending') await this.tryRegister(f);
        if (f.phase === 'active') {
          const result = await this.readFile(f, maxBytes, files.slice(0, i));
          if (result === 'again') {
            again = true;
            break;
          }
          if (result !== null) return result;
        }
        if (f.phase === 'finishing') return this.handOutFinalLine(f);
      }
      if (!again) return null;
    }
    return null;
  }

  private async readFile(f: TrackedFile, maxBytes: number, older: TrackedFile[]): Promise<LineBatch | null | 'again'> {
    const length = Math.max(1, Math.min(maxBytes, this.buffer.length));
    const lines: Line[] = [];
    for (;;) {
      const from = f.reader.position;
      const n = await f.reader.read(this.buffer, length);
      if (n === 0) {
        await this.onContentEnd(f);
        return null;
      }
      const plain = f.plain;
      if (plain !== null) {
        // checked after the read: if the first bytes are still ours, what was read is ours too
        if (!plain.startsWith(f.prefix)) {
          plain.seek(from);
          await this.onRewritten(f, this.now());
          return 'again';
        }
        // a writer finishing the older generation may have added lines written before these ones
        if (older.length > 0 && (await this.olderHasData(older))) {
          plain.seek(from);
          return 'again';
        }
        if (from + n > f.size) {
          f.size = from + n;
          f.lastGrowthAt = this.now();
        }
      }
      f.splitter.push(this.buffer.subarray(0, n), from, lines);
      if (lines.length > 0) {
        return { source: this.source.name, fileId: f.id as number, path: f.path, lines, endOffset: f.splitter.endOffset };
      }
    }
  }

  private async olderHasData(older: TrackedFile[]): Promise<boolean> {
    for (const o of older) {
      if (o.phase !== 'active') continue;
      const plain = o.plain;
      if (plain === null) {
        if (!o.readToEnd) return true;
        continue;
      }
      const st = await plain.stat();
      if (st.size > o.size) {
        o.size = st.size;
        o.lastGrowthAt = this.now();
      }
      if (st.size > plain.position) return true;
    }
    return false;
  }

  private async onContentEnd(f: TrackedFile): Promise<void> {
    const gz = f.gzip;
    if (gz !== null) {
      if (gz.ended) {
        await this.finish(f);
      } else if (gz.failure !== null) {
        if (this.mode === 'replay') {
          this.log.warn({ path: f.path, offset: gz.position, error: gz.failure.message }, 'compressed file is damaged; read up to the damage');
          await this.finish(f);
        } else if (f.gzipFailedAt === null) {
          // may be a .gz still being written: retried when it grows, given up after rotate_wait_ms
          f.gzipFailedAt = this.now();
          f.gzipFailedSize = (await statHandle(gz.handle)).size;
        }
      }
      return;
    }
    if (this.mode === 'replay') {
      if (f.live) f.phase = 'complete';
      else await this.finish(f);
    }
  }

  /** No more bytes will come: hand out the unterminated fragment, if any; retire once all is committed. */
  private async finish(f: TrackedFile): Promise<void> {
    if (f.id === null) {
      await this.drop(f);
      return;
    }
    const last = f.splitter.takeUnterminated();
    if (last !== null) {
      f.finalLine = last;
      f.phase = 'finishing';
      return;
    }
    f.phase = 'retiring';
    this.awaitingCommit.add(f);
    await this.settleCommitted();
  }

  private handOutFinalLine(f: TrackedFile): LineBatch {
    const line = f.finalLine as Line;
    f.finalLine = null;
    f.phase = 'retiring';
    this.awaitingCommit.add(f);
    return { source: this.source.name, fileId: f.id as number, path: f.path, lines: [line], endOffset: f.splitter.endOffset };
  }

  /**
   * Finish what waited for the pipeline: retire files whose every handed-out line is committed, and hand
   * a truncated file's tail over to its copy once what was read of it is committed (so a crash in between
   * neither loses nor repeats a line).
   */
  private async settleCommitted(): Promise<void> {
    if (this.awaitingCommit.size === 0) return;
    const committed = new Map(this.checkpoints.list(this.source.name).map((row) => [row.id, row.offset]));
    for (const f of [...this.awaitingCommit]) {
      if (f.id === null || (f.phase !== 'retiring' && f.phase !== 'rewritten')) {
        this.awaitingCommit.delete(f);
        continue;
      }
      if ((committed.get(f.id) ?? -1) < f.handedOutOffset) continue;
      this.awaitingCommit.delete(f);
      if (f.phase === 'retiring') await this.retire(f);
      else await this.handOverRewritten(f, this.now());
    }
  }

  // ---- polling (follow mode) --------------------------------------------------------------------------

  /** Follow mode: look at the paths (rotation, truncation, new files) and retire quiet rotated files. */
  async poll(): Promise<void> {
    this.assertStarted();
    await this.settleCommitted();
    if (this.mode === 'replay') return;
    const now = this.now();
    this.lastPollAt = now;
    const seen = new Set<TrackedFile>();
    const rotatedFamilies = new Set<string>();
    const newcomers: Array<{ path: string; st: FileStat }> = [];

    for (const path of await this.paths.expand()) {
      const st = await statPath(path).catch(() => null);
      if (st === null || !st.isFile) continue;
      const key = inodeKey(st);
      const f = this.tracked.byInodeKey(key);
      if (f === undefined) {
        if (!this.tracked.isIgnored(st)) newcomers.push({ path, st });
        continue;
      }
      seen.add(f);
      if (f.path !== path) this.renamed(f, path);
      if (!f.compressed && !f.live) {
        f.live = true;
        f.notLiveSince = null;
      }
      await this.checkFile(f, st, now);
    }
    for (const f of this.tracked.all()) {
      if (seen.has(f)) continue;
      if (f.live) {
        f.live = false;
        f.notLiveSince = now;
        rotatedFamilies.add(f.lineage);
      }
      const plain = f.plain;
      if (plain !== null && (f.phase === 'active' || f.phase === 'pending')) {
        await this.checkFile(f, await plain.stat(), now);
      }
    }
    for (const n of newcomers) rotatedFamilies.add(lineageOf(n.path, this.isSourceFile));
    for (const lineage of rotatedFamilies) await this.sweep(lineage, now);
    const sweepAgain = new Set<string>();
    for (const n of newcomers) {
      // rotated again since it was stat'ed: the file seen then is a sibling now, found by another sweep
      if (!(await this.admit(n.path, n.st, now))) sweepAgain.add(lineageOf(n.path, this.isSourceFile));
    }
    for (const lineage of sweepAgain) await this.sweep(lineage, now);
    await this.retireQuietFiles(now);
    this.watchDirectories();
  }

  /** Growth, truncation, fingerprint growth and registration of one plain file. */
  private async checkFile(f: TrackedFile, st: FileStat, now: number): Promise<void> {
    const plain = f.plain;
    if (plain === null || (f.phase !== 'active' && f.phase !== 'pending')) return;
    if (st.size < plain.position || !plain.startsWith(f.prefix)) {
      await this.onRewritten(f, now); // f.size still holds the size the old content had
      return;
    }
    if (st.size > f.size) f.lastGrowthAt = now;
    f.size = st.size;
    if (f.phase === 'pending') {
      await this.tryRegister(f);
      return;
    }
    if (f.fingerprint.length < FINGERPRINT_MAX_BYTES && st.size > f.fingerprint.length) await this.growFingerprint(f, now);
  }

  private async growFingerprint(f: TrackedFile, now: number): Promise<void> {
    const plain = f.plain as PlainFileReader;
    const prefix = await readPlainPrefix(plain.handle, f.size);
    if (!startsWithBytes(prefix, f.prefix)) {
      await this.onRewritten(f, now);
      return;
    }
    if (prefix.length <= f.prefix.length) return;
    f.prefix = prefix;
    f.fingerprint = fingerprintOf(prefix);
    if (f.id !== null) this.checkpoints.describe(f.id, f.path, f.fingerprint);
  }

  /** A pending file is registered once it has a complete line (or a full fingerprint's worth of bytes). */
  private async tryRegister(f: TrackedFile): Promise<void> {
    if (f.phase !== 'pending') return;
    const plain = f.plain;
    if (plain === null) {
      this.register(f);
      return;
    }
    const st = await plain.stat();
    f.size = st.size;
    const prefix = await readPlainPrefix(plain.handle, st.size);
    if (!startsWithBytes(prefix, f.prefix)) {
      // rewritten before it was ever registered: nothing was handed out, start over
      f.startOffset = 0;
      plain.seek(0);
      f.splitter.reset(0);
    }
    f.prefix = prefix;
    f.fingerprint = fingerprintOf(prefix);
    if (f.startOffset > 0 || prefix.includes(LF) || prefix.length >= FINGERPRINT_MAX_BYTES) this.register(f);
  }

  private register(f: TrackedFile): void {
    f.id = this.checkpoints.register({
      source: this.source.name,
      path: f.path,
      dev: f.dev,
      ino: f.ino,
      fingerprint: f.fingerprint,
      offset: f.startOffset,
      compressed: f.compressed,
    });
    f.phase = 'active';
  }

  private renamed(f: TrackedFile, path: string): void {
    f.path = path;
    if (f.id !== null) this.checkpoints.describe(f.id, path, f.fingerprint);
    this.watchDirectories();
  }

  /**
   * The file shrank below what was read or its first bytes changed (copytruncate, truncate-and-rewrite,
   * `>` redirection). Once what was handed out is committed, its unread tail is read from the rotated copy
   * with its first bytes, registered before anything else so a crash in between still finds it; then the
   * inode counts as a new file from offset 0.
   */
  private async onRewritten(f: TrackedFile, now: number): Promise<void> {
    const plain = f.plain as PlainFileReader;
    if (f.id === null) {
      await this.readFromStart(f, plain, (await plain.stat()).size);
      return;
    }
    if (this.mode === 'replay') {
      // replay reads what is there; a file rewritten meanwhile is left to `run`, which finds its copy
      this.log.warn({ path: f.path, fileId: f.id, offset: f.handedOutOffset }, 'file was truncated or rewritten during replay; the rest is left to live tailing');
      f.phase = 'complete';
      return;
    }
    f.phase = 'rewritten';
    f.lastGrowthAt = now;
    this.awaitingCommit.add(f);
    await this.settleCommitted();
  }

  /** The file's content is new: read it from offset 0, with the fingerprint of its new first bytes. */
  private async readFromStart(f: TrackedFile, plain: PlainFileReader, size: number): Promise<void> {
    f.startOffset = 0;
    plain.seek(0);
    f.splitter.reset(0);
    f.prefix = await readPlainPrefix(plain.handle, size);
    f.fingerprint = fingerprintOf(f.prefix);
    f.size = size;
  }

  /** The handing over itself, once every line handed out from the old content is committed. */
  private async handOverRewritten(f: TrackedFile, now: number): Promise<void> {
    const plain = f.plain as PlainFileReader;
    const st = await plain.stat();
    const oldId = f.id as number;
    const committed = f.handedOutOffset;
    const seenEnd = Math.max(f.size, plain.position);
    const copy = await this.claimCopyOf(f, committed, now);
    if (copy !== null) {
      this.log.info({ path: f.path, fileId: oldId, copy: copy.path, offset: committed }, 'file was truncated; reading its tail from the rotated copy');
    } else if (seenEnd > committed) {
      this.log.warn(
        { path: f.path, fileId: oldId, offset: committed, lostBytes: seenEnd - committed },
        'file was truncated or rewritten and no rotated copy holds its unread tail; those bytes are lost',
      );
    } else {
      this.log.info({ path: f.path, fileId: oldId, offset: committed }, 'file was truncated after it was read completely');
    }
    this.checkpoints.retire(oldId);
    this.rememberDone(f, oldId, committed);

    f.id = null;
    f.phase = 'pending';
    f.finalLine = null;
    await this.readFromStart(f, plain, st.size);
    f.lastGrowthAt = now;
    this.tracked.moveToNewest(f);
    if (this.mode === 'follow') await this.sweep(f.lineage, now);
    await this.tryRegister(f);
  }

  /**
   * Find and start reading the rotated copy of f's content at `offset`. A copy that moves before it is
   * opened (compressed meanwhile, shifted on) is looked for again under its new name.
   */
  private async claimCopyOf(f: TrackedFile, offset: number, now: number): Promise<CandidateFile | null> {
    const unusable = new Set<string>();
    for (let attempt = 0; attempt < 5; attempt++) {
      const copy = await this.findCopy(f, offset, unusable);
      if (copy === null) return null;
      const outcome = await this.claimCopy(copy, f, offset, now);
      if (outcome === 'claimed') return copy;
      if (outcome === 'unusable') unusable.add(inodeKey(copy));
    }
    return null;
  }

  /** The rotated sibling (not tracked) that starts with f's first bytes and holds at least `offset` bytes. */
  private async findCopy(f: TrackedFile, offset: number, unusable: ReadonlySet<string>): Promise<CandidateFile | null> {
    const found: CandidateFile[] = [];
    const skip = (st: FileStat): boolean => (st.dev === f.dev && st.ino === f.ino) || this.tracked.has(st)
      || unusable.has(inodeKey(st));
    for (const base of new Set([f.lineage, lineageBase(f.path)])) {
      const looks = await lookAtSiblings(base, this.isSourceFile, skip);
      for (const { candidate: c } of looks) {
        if (c === null || !c.readable || (!c.compressed && c.size < offset)) continue;
        if (prefixMatches(c.prefix, f.fingerprint)) found.push(c);
      }
    }
    found.sort((a, b) => (a.compressed === b.compressed ? b.size - a.size : a.compressed ? 1 : -1));
    return found[0] ?? null;
  }

  private async claimCopy(
    c: CandidateFile,
    original: TrackedFile,
    offset: number,
    now: number,
  ): Promise<'claimed' | 'moved' | 'unusable'> {
    const handle = await openSameInode(c.path, c);
    if (handle === null) return 'moved';
    const reader = c.compressed ? await GzipFileReader.open(handle, offset) : new PlainFileReader(handle, offset);
    if (reader.position < offset) {
      await reader.close();
      return 'unusable';
    }
    const fingerprint = fingerprintOf(c.prefix);
    const copy = new TrackedFile(c.path, c.dev, c.ino, reader, c.prefix, fingerprint, original.lineage, c.live, offset,
      this.source.max_line_bytes, now);
    copy.size = c.size;
    copy.notLiveSince = c.live ? null : now;
    this.register(copy);
    this.tracked.add(copy, original);
    return 'claimed';
  }

  /**
   * After a rotation: find where each generation of the family is now (recording renamed paths), and read
   * any rotated sibling that is newer than our oldest generation but unknown: it was created and rotated
   * away between two polls (a double rotation while behind, Promtail #14462).
   */
  private async sweep(lineage: string, now: number, depth = 0): Promise<void> {
    const members = this.tracked.familyOfLineage(lineage);
    const positions = new Map<TrackedFile, Position>();
    for (const m of members) {
      if (m.path === lineage && m.live) positions.set(m, { generation: generationOf(lineage, lineage) as Generation, mtimeMs: now });
    }
    const unknown: CandidateFile[] = [];
    let rows: StoredCheckpoint[] | null = null;
    const skip = (st: FileStat): boolean => this.tracked.has(st) || this.tracked.isIgnored(st);
    for (const { path, st, candidate: c } of await lookAtSiblings(lineage, this.isSourceFile, skip)) {
      const key = inodeKey(st);
      const generation = generationOf(path, lineage);
      if (generation === null) continue;
      const tracked = this.tracked.byInodeKey(key);
      if (tracked !== undefined) {
        if (tracked.path !== path) this.renamed(tracked, path);
        positions.set(tracked, { generation, mtimeMs: st.mtimeMs });
        continue;
      }
      if (c === null) continue; // ignored before, unchanged since
      const copyOf = members.find((m) => m.id !== null && !(m.dev === c.dev && m.ino === c.ino)
        && prefixMatches(c.prefix, m.fingerprint));
      if (copyOf !== undefined) {
        // a compressed or copied generation we are reading already: it tells where that generation is
        if (!positions.has(copyOf)) positions.set(copyOf, { generation, mtimeMs: st.mtimeMs });
        continue;
      }
      rows ??= this.checkpoints.list(this.source.name);
      const known = findKnownRow(c, rows);
      if (known !== null) {
        if (known.kind === 'exact' && known.row.state === 'active' && !this.tracked.hasId(known.row.id)) {
          // a checkpoint whose file we lost sight of (it moved while we opened it): resume it here
          if (await this.openPlanned({ kind: 'resume', candidate: c, row: known.row }, now)) {
            const resumed = this.tracked.byInodeKey(key);
            if (resumed !== undefined) positions.set(resumed, { generation, mtimeMs: st.mtimeMs });
          }
          continue;
        }
        this.tracked.ignore(key, c.changeStamp);
        continue;
      }
      if (c.readable && c.size > 0) unknown.push(c);
    }
    if (unknown.length === 0) return;
    let oldest: Position | null = null;
    for (const p of positions.values()) if (oldest === null || compareGenerations(p, oldest) < 0) oldest = p;
    if (oldest === null) return;
    const missed: CandidateFile[] = [];
    for (const c of unknown) {
      if (compareGenerations(c, oldest) > 0) missed.push(c);
      else this.tracked.ignore(inodeKey(c), c.changeStamp); // history from before we were reading this family
    }
    missed.sort((a, b) => compareGenerations(a, b) || a.mtimeMs - b.mtimeMs);
    let moved = false;
    for (const c of missed) {
      if (!(await this.openMissedGeneration(c, positions, now))) moved = true;
    }
    if (moved && depth < 3) await this.sweep(lineage, now, depth + 1);
  }

  /** Read a generation found by a sweep from its first byte; false when it moved before it was opened. */
  private async openMissedGeneration(c: CandidateFile, positions: Map<TrackedFile, Position>, now: number): Promise<boolean> {
    const handle = await openSameInode(c.path, c);
    if (handle === null) return false;
    const reader = c.compressed ? await GzipFileReader.open(handle, 0) : new PlainFileReader(handle, 0);
    const f = new TrackedFile(c.path, c.dev, c.ino, reader, c.prefix, fingerprintOf(c.prefix), c.lineage, c.live, 0,
      this.source.max_line_bytes, now);
    f.size = c.size;
    f.notLiveSince = c.live ? null : now;
    this.register(f);
    // before the first generation known to be newer, else before the live file, else last
    const family = this.tracked.familyOfLineage(f.lineage);
    let before: TrackedFile | null = null;
    for (const m of family) {
      const p = positions.get(m);
      if ((p !== undefined && compareGenerations(c, p) < 0) || (p === undefined && m.live)) {
        before = m;
        break;
      }
    }
    this.tracked.add(f, before);
    positions.set(f, c);
    this.log.info({ path: c.path, fileId: f.id, compressed: c.compressed }, 'reading a rotated generation that appeared between two polls');
    return true;
  }

  /**
   * A file at a matched path with an inode we do not track (`seen`: its stat in this poll). False when the
   * path holds another inode by now.
   */
  private async admit(path: string, seen: FileStat, now: number): Promise<boolean> {
    const c = await scanCandidate(path, this.isSourceFile);
    if (c === null) return false;
    const key = inodeKey(c);
    const same = c.dev === seen.dev && c.ino === seen.ino;
    if (this.tracked.has(c)) return same;
    if (c.siblingShaped) {
      for (const t of this.tracked.all()) {
        if (t.id !== null && !(t.dev === c.dev && t.ino === c.ino) && prefixMatches(c.prefix, t.fingerprint)) {
          this.tracked.ignore(key, c.changeStamp); // a copy of content we are reading; claimed if the original is truncated
          return same;
        }
      }
    }
    const known = findKnownRow(c, this.checkpoints.list(this.source.name));
    if (known !== null) {
      if (known.kind === 'exact' && known.row.state === 'active' && !this.tracked.hasId(known.row.id)) {
        return (await this.openPlanned({ kind: 'resume', candidate: c, row: known.row }, now)) && same;
      }
      this.tracked.ignore(key, c.changeStamp);
      return same;
    }
    if (!c.readable) {
      // no permission, or a .gz still being written: looked at again next poll
      this.warnUnreadable(c);
      return same;
    }
    return (await this.openPlanned({ kind: 'fresh', candidate: c, from: 'beginning' }, now)) && same;
  }

  /** Rotated-away files that were read to their end and stayed quiet for rotate_wait_ms are finished. */
  private async retireQuietFiles(now: number): Promise<void> {
    for (const f of this.tracked.all()) {
      if (f.live || (f.phase !== 'active' && f.phase !== 'pending')) continue;
      const gz = f.gzip;
      if (gz !== null) {
        if (gz.failure === null || f.gzipFailedAt === null) continue;
        const size = (await statHandle(gz.handle)).size;
        if (size !== f.gzipFailedSize) {
          f.gzipFailedAt = null;
          await gz.reopen();
        } else if (now - f.gzipFailedAt >= this.source.rotate_wait_ms) {
          this.log.warn({ path: f.path, offset: gz.position, error: gz.failure.message }, 'compressed file is damaged; read up to the damage');
          await this.finish(f);
        }
        continue;
      }
      if (!f.readToEnd) continue;
      const quietSince = Math.max(f.lastGrowthAt, f.notLiveSince ?? now);
      if (now - quietSince < this.source.rotate_wait_ms) continue;
      if (f.phase === 'pending') {
        // never got a complete line; its bytes are still read (and handed out as an unterminated line)
        if (f.size > f.startOffset) this.register(f);
        else await this.drop(f);
        continue;
      }
      await this.finish(f);
    }
  }

  // ---- bookkeeping -------------------------------------------------------------------------------------

  /** Once per path and reason: a file of the source that cannot be read is worth one warning, not one a poll. */
  private warnUnreadable(c: CandidateFile): void {
    const key = `${c.path}\0${c.unreadable}`;
    if (this.warnedUnreadable.has(key)) return;
    this.warnedUnreadable.add(key);
    this.log.warn({ path: c.path, reason: c.unreadable }, 'file cannot be read (permissions, or a damaged or unfinished .gz); skipped for now');
  }

  private async retire(f: TrackedFile): Promise<void> {
    if (f.id !== null) {
      this.checkpoints.retire(f.id);
      this.rememberDone(f, f.id, f.handedOutOffset);
      this.log.info({ path: f.path, fileId: f.id, offset: f.handedOutOffset }, 'finished rotated file');
    }
    await this.drop(f);
  }

  private async drop(f: TrackedFile): Promise<void> {
    f.phase = 'closed';
    this.tracked.remove(f);
    await f.reader.close().catch(() => undefined);
  }

  private rememberDone(f: TrackedFile, id: number, offset: number): void {
    this.doneStatus.push({ fileId: id, path: f.path, offset, size: f.size, state: 'done', compressed: f.compressed });
    if (this.doneStatus.length > DONE_STATUS_KEPT) this.doneStatus.shift();
  }

  private assertStarted(): void {
    if (this.lifecycle !== 'started') {
      throw new Error(`tailer of source ${this.source.name} is ${this.lifecycle === 'new' ? 'not started' : 'closed'}`);
    }
  }

  // ---- status, change hints, close ---------------------------------------------------------------------

  /** Files being read (registered ones), then recently finished ones. */
  status(): TailedFileStatus[] {
    const out: TailedFileStatus[] = [];
    for (const f of this.tracked.all()) {
      if (f.id === null) continue;
      const state = f.phase === 'complete' || f.phase === 'retiring' ? 'done' : this.mode === 'replay' || f.live ? 'reading' : 'draining';
      const size = f.compressed ? (f.gzip?.ended === true ? f.reader.position : f.handedOutOffset) : f.size;
      out.push({ fileId: f.id, path: f.path, offset: f.handedOutOffset, size, state, compressed: f.compressed });
    }
    return [...out, ...this.doneStatus];
  }

  /** Resolves when a watched directory reports a change, or after `ms` (polling works without it). */
  async waitForChange(ms: number): Promise<void> {
    if (this.lifecycle === 'closed') return;
    if (this.changeSeen) {
      this.changeSeen = false;
      return;
    }
    await new Promise<void>((done) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers = this.wakers.filter((w) => w !== wake);
        done();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.push(wake);
    });
    this.changeSeen = false;
  }

  private signalChange(): void {
    this.changeSeen = true;
    for (const wake of [...this.wakers]) wake();
  }

  private watchDirectories(): void {
    if (this.mode !== 'follow' || this.lifecycle !== 'started') return;
    const dirs = new Set(this.paths.watchDirectories());
    for (const f of this.tracked.all()) dirs.add(dirname(f.path));
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.signalChange());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // no watch (missing directory, no inotify): polling alone finds every change
      }
    }
  }

  /** Stop: retire the finished files whose last batch is committed, then close every descriptor. */
  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    if (this.lifecycle === 'started') await this.settleCommitted().catch(() => undefined);
    this.lifecycle = 'closed';
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    for (const wake of [...this.wakers]) wake();
    await this.closeTracked();
  }
}

async function directoryExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
