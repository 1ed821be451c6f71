// The files a tailer has open, grouped in rotation families (each oldest generation first), indexed by
// inode, plus a memo of inodes known to need no reading.
import { inodeKey, type FileStat } from './fileIdentity.js';
import type { TrackedFile } from './trackedFile.js';

/** How many "needs no reading" memos are kept (a forgotten one only costs another look at that file). */
const IGNORED_KEPT = 4096;

export class TrackedSet {
  private readonly families = new Map<string, TrackedFile[]>();
  private readonly byInode = new Map<string, TrackedFile>();
  /** inode -> its change stamp when it was judged (a reused inode has another stamp) */
  private readonly ignored = new Map<string, string>();

  /** `familyKey` maps a file's lineage to its family (replay puts every file in one). */
  constructor(private readonly familyKey: (lineage: string) => string) {}

  familyKeys(): string[] {
    return [...this.families.keys()];
  }

  family(key: string): TrackedFile[] | undefined {
    return this.families.get(key);
  }

  /** The family of a lineage (created empty if needed). */
  familyOfLineage(lineage: string): TrackedFile[] {
    const key = this.familyKey(lineage);
    let family = this.families.get(key);
    if (family === undefined) {
      family = [];
      this.families.set(key, family);
    }
    return family;
  }

  byInodeKey(key: string): TrackedFile | undefined {
    return this.byInode.get(key);
  }

  has(st: { dev: bigint; ino: bigint }): boolean {
    return this.byInode.has(inodeKey(st));
  }

  hasId(id: number): boolean {
    for (const f of this.all()) if (f.id === id) return true;
    return false;
  }

  /** Every file, family by family (a copy: callers may add or remove files while they go). */
  all(): TrackedFile[] {
    const out: TrackedFile[] = [];
    for (const family of this.families.values()) out.push(...family);
    return out;
  }

  /** Insert before `before` (the slot of an older generation), or last (newest). */
  add(f: TrackedFile, before: TrackedFile | null): void {
    const family = this.familyOfLineage(f.lineage);
    const at = before === null ? -1 : family.indexOf(before);
    if (at < 0) family.push(f);
    else family.splice(at, 0, f);
    this.byInode.set(inodeKey(f), f);
  }

  moveToNewest(f: TrackedFile): void {
    const family = this.familyOfLineage(f.lineage);
    const at = family.indexOf(f);
    if (at >= 0) family.splice(at, 1);
    family.push(f);
  }

  remove(f: TrackedFile): void {
    const key = this.familyKey(f.lineage);
    const family = this.families.get(key);
    if (family !== undefined) {
      const at = family.indexOf(f);
      if (at >= 0) family.splice(at, 1);
      if (family.length === 0) this.families.delete(key);
    }
    if (this.byInode.get(inodeKey(f)) === f) this.byInode.delete(inodeKey(f));
  }

  /** Remember that this inode, as it is now, needs no reading. */
  ignore(key: string, changeStamp: string): void {
    this.ignored.delete(key);
    this.ignored.set(key, changeStamp);
    if (this.ignored.size > IGNORED_KEPT) this.ignored.delete(this.ignored.keys().next().value as string);
  }

  /** Judged before as needing no reading, and unchanged since. */
  isIgnored(st: FileStat): boolean {
    return this.ignored.get(inodeKey(st)) === st.changeStamp;
  }

  /** Forget everything; returns the files that were open. */
  clear(): TrackedFile[] {
    const files = this.all();
    this.families.clear();
    this.byInode.clear();
    this.ignored.clear();
    return files;
  }
}
