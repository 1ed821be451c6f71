// rotatingWriter: a child-process log writer for rotation torture tests (tailer tests and the end-to-end
// kill -9 test of `phabwatch run`). It appends numbered lines to a path and rotates that path itself,
// between two of its own writes, so every line it reports as written is in exactly one file generation.
//
// Function API (parent side):
//   const w = spawnRotatingWriter({
//     path: '/tmp/x/access.log', lines: 30_000, linesPerSecond: 10_000, writers: 2, splitEvery: 1000,
//     rotations: [{ atLine: 10_000, kind: 'rename' }, { atLine: 20_000, kind: 'copytruncate' }],
//   });
//   await w.rotate('rename');           // optional: rotate now (between two writes), resolves when done
//   const report = await w.done;        // { lines, perWriter, rotations, splitLines }
//   w.kill();                           // stop early (report not delivered)
//
// CLI: node rotatingWriter.js --run '<options as JSON>'
//   prints the final report as one JSON line on stdout; with `reportPath` it also writes it there.
//   (Without `--run` the file does nothing, so a test runner that executes every file under test/ is fine.)
//
// Lines: `template` with placeholders {seq} (per-writer sequence, 1-based, 8 digits), {writer} (0 or 1),
// {n} (global line number, 1-based), {ts} (ISO 8601 UTC), {tsr} (PHP date('r'): `Sun, 29 Nov 2026
// 18:52:54 +0000`), {clf} (nginx/Apache `29/Nov/2026:18:52:54 +0000`), {epoch} (ms), {pad} (x's that bring
// the line to about `lineBytes` bytes). Default: '{ts} w{writer} s{seq} {pad}'; parseWriterLine reads it.
//
// Options:
// - pacing: `linesPerSecond` (paced) or omitted/0 (burst: as fast as possible, yielding every 500 lines);
// - `writers: 2`: two descriptors (like two nginx workers). After a rename, writer 0 reopens the path at
//   once and writer 1 keeps appending to the renamed file for `lateReopenLines` (default 2000) more lines,
//   as an nginx worker does before it gets USR1;
// - `splitEvery: N`: every Nth line is written in two write() calls `splitDelayMs` (default 5) apart;
// - `rotations`: at global line counts: 'rename' (X.N -> X.N+1 ..., X -> X.1), 'copytruncate' (shift,
//   copy X to X.1, truncate X in place), 'double-rename' (rename, `doubleGapLines` (default 50) lines,
//   rename again);
// - `keep` rotated generations (default 9; older ones are deleted);
// - `compress`: 'delay' gzips X.2 after each rotation (logrotate delaycompress), 'immediate' gzips X.1
//   (use with one writer: a late writer's lines into a compressed-away file are lost by design). The .gz is
//   written under a temporary name and renamed into place.
import { fork, type ChildProcess } from 'node:child_process';
import {
  closeSync, copyFileSync, existsSync, openSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export type RotationKind = 'rename' | 'copytruncate' | 'double-rename';

export interface RotationStep {
  /** performed after this many lines were written (global count) */
  atLine: number;
  kind: RotationKind;
}

export interface RotatingWriterOptions {
  path: string;
  /** total lines, all writers together */
  lines: number;
  template?: string;
  lineBytes?: number;
  linesPerSecond?: number;
  writers?: 1 | 2;
  lateReopenLines?: number;
  splitEvery?: number;
  splitDelayMs?: number;
  rotations?: RotationStep[];
  doubleGapLines?: number;
  keep?: number;
  compress?: 'none' | 'delay' | 'immediate';
  reportPath?: string;
}

export interface WriterReport {
  path: string;
  /** lines written, all writers together */
  lines: number;
  /** lines written by writer 0 and writer 1 (their last sequence numbers) */
  perWriter: number[];
  rotations: number;
  splitLines: number;
}

export interface RunningWriter {
  pid: number;
  child: ChildProcess;
  done: Promise<WriterReport>;
  /** rotate now (between two writes); resolves with the global line count at which it happened */
  rotate(kind: RotationKind): Promise<number>;
  kill(): void;
}

export const DEFAULT_TEMPLATE = '{ts} w{writer} s{seq} {pad}';
const WRITER_LINE = / w(\d) s(\d{8}) /;

/** Writer id and sequence of a line made with the default template (null for anything else). */
export function parseWriterLine(text: string): { writer: number; seq: number } | null {
  const m = WRITER_LINE.exec(text);
  return m === null ? null : { writer: Number(m[1]), seq: Number(m[2]) };
}

const THIS_FILE = fileURLToPath(import.meta.url);

type ParentMessage = { type: 'rotate'; id: number; kind: RotationKind };
type ChildMessage =
  | { type: 'rotated'; id: number; atLine: number }
  | { type: 'done'; report: WriterReport };

/** Start a writer process (this file, with IPC). */
export function spawnRotatingWriter(options: RotatingWriterOptions): RunningWriter {
  const child = fork(THIS_FILE, ['--run', JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (atLine: number) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let report: WriterReport | null = null;
  child.on('message', (raw) => {
    const msg = raw as ChildMessage;
    if (msg.type === 'rotated') {
      waiting.get(msg.id)?.resolve(msg.atLine);
      waiting.delete(msg.id);
    } else if (msg.type === 'done') {
      report = msg.report;
    }
  });
  const done = new Promise<WriterReport>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      for (const w of waiting.values()) w.reject(new Error('rotating writer ended before it performed a requested rotation'));
      waiting.clear();
      if (report !== null && code === 0) resolve(report);
      else reject(new Error(`rotating writer exited with code ${code} signal ${signal} before reporting`));
    });
  });
  done.catch(() => undefined); // a caller that kills the writer need not observe the rejection
  return {
    pid: child.pid ?? -1,
    child,
    done,
    rotate(kind) {
      const id = nextId++;
      return new Promise<number>((resolve, reject) => {
        if (!child.connected || report !== null) {
          reject(new Error('rotating writer already finished: rotate() must come while it writes'));
          return;
        }
        waiting.set(id, { resolve, reject });
        child.send({ type: 'rotate', id, kind } satisfies ParentMessage, (err) => {
          if (err === null) return;
          waiting.delete(id);
          reject(err);
        });
      });
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

// ---- the writer process ---------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function renderLine(template: string, lineBytes: number, writer: number, seq: number, n: number, now: Date): string {
  const hms = `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())}`;
  let line = template
    .replaceAll('{seq}', String(seq).padStart(8, '0'))
    .replaceAll('{writer}', String(writer))
    .replaceAll('{n}', String(n))
    .replaceAll('{ts}', now.toISOString())
    .replaceAll('{tsr}', `${DAYS[now.getUTCDay()]}, ${two(now.getUTCDate())} ${MONTHS[now.getUTCMonth()]} ${now.getUTCFullYear()} ${hms} +0000`)
    .replaceAll('{clf}', `${two(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:${hms} +0000`)
    .replaceAll('{epoch}', String(now.getTime()));
  if (line.includes('{pad}')) {
    const bare = Buffer.byteLength(line) - '{pad}'.length + 1; // + newline
    line = line.replace('{pad}', 'x'.repeat(Math.max(0, lineBytes - bare)));
  }
  return `${line}\n`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

class WriterProcess {
  private readonly template: string;
  private readonly lineBytes: number;
  private readonly writers: number;
  private readonly keep: number;
  private readonly fds: number[] = [];
  private readonly seqs: number[];
  /** global line count at which writer 1 reopens the path (after a rename) */
  private lateReopenAt = -1;
  private written = 0;
  private rotations = 0;
  private splitLines = 0;
  private readonly schedule: RotationStep[];
  private readonly requests: ParentMessage[] = [];

  constructor(private readonly o: RotatingWriterOptions) {
    this.template = o.template ?? DEFAULT_TEMPLATE;
    this.lineBytes = o.lineBytes ?? 120;
    this.writers = o.writers ?? 1;
    this.keep = o.keep ?? 9;
    this.seqs = new Array<number>(this.writers).fill(0);
    const steps: RotationStep[] = [];
    for (const step of o.rotations ?? []) {
      if (step.kind === 'double-rename') {
        steps.push({ atLine: step.atLine, kind: 'rename' });
        steps.push({ atLine: step.atLine + (o.doubleGapLines ?? 50), kind: 'rename' });
      } else {
        steps.push(step);
      }
    }
    this.schedule = steps.sort((a, b) => a.atLine - b.atLine);
    for (let w = 0; w < this.writers; w++) this.fds.push(openSync(o.path, 'a'));
    process.on('message', (msg) => this.requests.push(msg as ParentMessage));
  }

  async run(): Promise<WriterReport> {
    const started = Date.now();
    const rate = this.o.linesPerSecond ?? 0;
    while (this.written < this.o.lines) {
      const due = rate > 0 ? Math.min(this.o.lines, Math.floor(((Date.now() - started) / 1000) * rate)) : this.o.lines;
      let budget = rate > 0 ? due - this.written : 500;
      while (budget-- > 0 && this.written < this.o.lines) {
        this.serveRequests();
        await this.writeOne();
      }
      this.serveRequests();
      await (rate > 0 ? sleep(2) : new Promise<void>((done) => setImmediate(done)));
    }
    this.serveRequests();
    for (const fd of this.fds) closeSync(fd);
    const report: WriterReport = {
      path: this.o.path,
      lines: this.written,
      perWriter: [...this.seqs],
      rotations: this.rotations,
      splitLines: this.splitLines,
    };
    // requests that arrive while the final report is sent are still answered
    return report;
  }

  private async writeOne(): Promise<void> {
    while (this.schedule.length > 0 && this.schedule[0]!.atLine <= this.written) {
      this.rotate(this.schedule.shift()!.kind);
    }
    if (this.written === this.lateReopenAt) this.reopen(1);
    const n = this.written + 1;
    const writer = this.writers === 1 ? 0 : (n - 1) % this.writers;
    const seq = ++this.seqs[writer]!;
    const line = Buffer.from(renderLine(this.template, this.lineBytes, writer, seq, n, new Date()));
    const fd = this.fds[writer]!;
    const split = this.o.splitEvery ?? 0;
    if (split > 0 && n % split === 0) {
      const half = line.length >> 1;
      writeSync(fd, line, 0, half);
      await sleep(this.o.splitDelayMs ?? 5);
      writeSync(fd, line, half, line.length - half);
      this.splitLines++;
    } else {
      writeSync(fd, line);
    }
    this.written = n;
  }

  private serveRequests(): void {
    while (this.requests.length > 0) {
      const req = this.requests.shift()!;
      if (req.type !== 'rotate') continue;
      if (req.kind === 'double-rename') {
        this.rotate('rename');
        this.rotate('rename');
      } else {
        this.rotate(req.kind);
      }
      process.send?.({ type: 'rotated', id: req.id, atLine: this.written } satisfies ChildMessage);
    }
  }

  private rotate(kind: 'rename' | 'copytruncate' | 'double-rename'): void {
    const path = this.o.path;
    this.shiftGenerations();
    if (kind === 'copytruncate') {
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
    } else {
      renameSync(path, `${path}.1`);
      this.reopen(0);
      if (this.writers > 1) {
        // a second rename before the late writer reopened moves it along with its file, as nginx would
        this.lateReopenAt = this.written + (this.o.lateReopenLines ?? 2000);
      }
    }
    this.rotations++;
    if (this.o.compress === 'delay') this.compress(`${path}.2`);
    if (this.o.compress === 'immediate') this.compress(`${path}.1`);
  }

  private reopen(writer: number): void {
    if (writer >= this.writers) return;
    closeSync(this.fds[writer]!);
    this.fds[writer] = openSync(this.o.path, 'a');
    if (writer === 1) this.lateReopenAt = -1;
  }

  private shiftGenerations(): void {
    const path = this.o.path;
    for (const ext of ['', '.gz']) {
      const oldest = `${path}.${this.keep}${ext}`;
      if (existsSync(oldest)) unlinkSync(oldest);
    }
    for (let i = this.keep - 1; i >= 1; i--) {
      for (const ext of ['', '.gz']) {
        const from = `${path}.${i}${ext}`;
        if (existsSync(from)) renameSync(from, `${path}.${i + 1}${ext}`);
      }
    }
  }

  private compress(file: string): void {
    if (!existsSync(file)) return;
    const tmp = `${file}.gz.tmp`;
    writeFileSync(tmp, gzipSync(readFileSync(file)));
    renameSync(tmp, `${file}.gz`);
    unlinkSync(file);
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[3] ?? '{}') as RotatingWriterOptions;
  const writer = new WriterProcess(options);
  const report = await writer.run();
  const json = JSON.stringify(report);
  if (options.reportPath !== undefined) writeFileSync(options.reportPath, `${json}\n`);
  process.stdout.write(`${json}\n`);
  if (process.send !== undefined) {
    process.send({ type: 'done', report } satisfies ChildMessage, () => process.disconnect());
  }
}

if (process.argv[1] === THIS_FILE && process.argv[2] === '--run') {
  main().catch((err: unknown) => {
    process.stderr.write(`rotating writer failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
