// Rotated siblings of a log file X: files in X's directory named X + a rotation suffix (logrotate and
// friends): `.N`, `-YYYYMMDD[more digits]`, `.old`, any of these + `.gz`, or just `.gz`. Also how two
// generations of one file compare in age.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const SIBLING_SUFFIX = /^(?:(?:\.(\d+)|-(\d{8}\d*)|\.old)(\.gz)?|\.gz)$/;
/** The same suffixes, anchored at the end of a full name (to find a rotated file's base). */
const TRAILING_SUFFIX = /(?:(?:\.\d+|-\d{8}\d*|\.old)(?:\.gz)?|\.gz)$/;

export type GenerationKind = 'live' | 'numbered' | 'dated' | 'other';

/** Where a file sits in its rotation family. */
export interface Generation {
  kind: GenerationKind;
  /** `.N`: N (larger is older) */
  number: number;
  /** `-YYYYMMDD...`: the digits (larger is newer) */
  stamp: string;
  compressed: boolean;
}

const LIVE: Generation = { kind: 'live', number: 0, stamp: '', compressed: false };

export function isCompressedPath(path: string): boolean {
  return path.endsWith('.gz');
}

/** The generation that `suffix` (what follows the base name) denotes, or null if it is no rotation suffix. */
export function parseGeneration(suffix: string): Generation | null {
  if (suffix === '') return LIVE;
  const m = SIBLING_SUFFIX.exec(suffix);
  if (m === null) return null;
  const compressed = suffix.endsWith('.gz');
  if (m[1] !== undefined) return { kind: 'numbered', number: Number(m[1]), stamp: '', compressed };
  if (m[2] !== undefined) return { kind: 'dated', number: 0, stamp: m[2], compressed };
  return { kind: 'other', number: 0, stamp: '', compressed };
}

/** The live file a rotated name derives from: `/l/access.log.2.gz` -> `/l/access.log`; other names unchanged. */
export function lineageBase(path: string): string {
  const name = basename(path);
  const m = TRAILING_SUFFIX.exec(name);
  if (m === null || m.index === 0) return path;
  return join(dirname(path), name.slice(0, m.index));
}

/** The generation of `path` relative to `base` (null when `path` is not `base` or one of its siblings). */
export function generationOf(path: string, base: string): Generation | null {
  if (dirname(path) !== dirname(base)) return null;
  const name = basename(path);
  const baseName = basename(base);
  if (!name.startsWith(baseName)) return null;
  return parseGeneration(name.slice(baseName.length));
}

/**
 * Age order of two generations of one file: negative when `a` is older than `b`. Rotation names decide
 * when they can (a writer may still touch an older generation after the newer one was created, so mtime is
 * the fallback only); equal rotation positions compare as equal (`.2` and `.2.gz` are one generation).
 */
export function compareGenerations(
  a: { generation: Generation; mtimeMs: number },
  b: { generation: Generation; mtimeMs: number },
): number {
  const ga = a.generation;
  const gb = b.generation;
  if (ga.kind === 'live' || gb.kind === 'live') {
    if (ga.kind === gb.kind) return 0;
    return ga.kind === 'live' ? 1 : -1;
  }
  if (ga.kind === 'numbered' && gb.kind === 'numbered') return gb.number - ga.number;
  if (ga.kind === 'dated' && gb.kind === 'dated') return ga.stamp < gb.stamp ? -1 : ga.stamp > gb.stamp ? 1 : 0;
  return a.mtimeMs - b.mtimeMs;
}

/** Paths of the rotated siblings of `base` that exist now (not `base` itself), in directory order. */
export async function listRotatedSiblings(base: string): Promise<string[]> {
  const dir = dirname(base);
  const baseName = basename(base);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    if (name.length <= baseName.length || !name.startsWith(baseName)) continue;
    if (SIBLING_SUFFIX.test(name.slice(baseName.length))) out.push(join(dir, name));
  }
  return out;
}
