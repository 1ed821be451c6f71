// Which files a source's `path` (absolute path or glob) names right now, and which directories to watch.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';

const GLOBSTAR_MAX_DEPTH = 16;

export class PathsProvider {
  readonly isGlob: boolean;
  private readonly base: string;
  private readonly maxDepth: number;
  private readonly matcher: (path: string) => boolean;

  constructor(readonly pattern: string) {
    const scan = picomatch.scan(pattern);
    this.isGlob = scan.isGlob;
    this.matcher = picomatch(pattern);
    if (scan.isGlob) {
      this.base = scan.base === '' ? '/' : scan.base;
      this.maxDepth = scan.glob.includes('**') ? GLOBSTAR_MAX_DEPTH : scan.glob.split('/').length;
    } else {
      this.base = pattern;
      this.maxDepth = 0;
    }
  }

  /** Whether `path` is one of the source's files by name (rotated siblings are not, unless the glob says so). */
  matches(path: string): boolean {
    return this.isGlob ? this.matcher(path) : path === this.pattern;
  }

  /** Regular files matching the pattern now, sorted by path. */
  async expand(): Promise<string[]> {
    if (!this.isGlob) {
      return (await isRegularFile(this.pattern)) ? [this.pattern] : [];
    }
    const out: string[] = [];
    await this.walk(this.base, 1, out);
    out.sort();
    return out;
  }

  /** Directories whose changes may mean new data or a rotation (fs.watch hints only). */
  watchDirectories(): string[] {
    return [this.isGlob ? this.base : dirname(this.pattern)];
  }

  private async walk(dir: string, depth: number, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // a missing or unreadable directory has no files yet; the next poll looks again
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < this.maxDepth) await this.walk(full, depth + 1, out);
      } else if (entry.isFile()) {
        if (this.matcher(full)) out.push(full);
      } else if (entry.isSymbolicLink() && this.matcher(full) && (await isRegularFile(full))) {
        out.push(full);
      }
    }
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
