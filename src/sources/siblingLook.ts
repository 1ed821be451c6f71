// A consistent look at a file's rotated siblings while a rotation may be under way: every sibling with its
// stat and, unless the caller already knows it, its content identity.
import { scanCandidate, type CandidateFile } from './candidateFile.js';
import { statPath, type FileStat } from './fileIdentity.js';
import { listRotatedSiblings } from './rotatedSiblings.js';

export interface SiblingLook {
  path: string;
  st: FileStat;
  /** its content and identity, unless `skip` said it need not be looked into */
  candidate: CandidateFile | null;
}

const MAX_LOOKS = 5;

/**
 * The rotated siblings of `base`: stats, and a look into those `skip` does not exclude. A sibling that
 * vanished or changed inode between the listing and the look means a rotation is under way (a .gz replacing
 * its plain file, a shift): the directory is looked at again, so that file is seen under its new name
 * instead of not at all.
 */
export async function lookAtSiblings(
  base: string,
  isSourceFile: (path: string) => boolean,
  skip: (st: FileStat) => boolean,
): Promise<SiblingLook[]> {
  for (let attempt = 1; ; attempt++) {
    const out: SiblingLook[] = [];
    let moving = false;
    for (const path of await listRotatedSiblings(base)) {
      const st = await statPath(path).catch(() => null);
      if (st === null) {
        moving = true;
        continue;
      }
      if (!st.isFile) continue;
      if (skip(st)) {
        out.push({ path, st, candidate: null });
        continue;
      }
      const candidate = await scanCandidate(path, isSourceFile);
      if (candidate === null || candidate.dev !== st.dev || candidate.ino !== st.ino) {
        moving = true;
        continue;
      }
      out.push({ path, st, candidate });
    }
    if (!moving) moving = !(await sameSiblings(base, out));
    if (!moving || attempt >= MAX_LOOKS) return out;
  }
}

/** Whether `base`'s siblings are still exactly these inodes at these paths. */
async function sameSiblings(base: string, looked: readonly SiblingLook[]): Promise<boolean> {
  const paths = await listRotatedSiblings(base);
  const byPath = new Map(looked.map((l) => [l.path, l.st]));
  let files = 0;
  for (const path of paths) {
    const before = byPath.get(path);
    const st = await statPath(path).catch(() => null);
    if (st === null || !st.isFile) {
      if (before !== undefined) return false;
      continue;
    }
    files++;
    if (before === undefined || before.dev !== st.dev || before.ino !== st.ino) return false;
  }
  return files === byPath.size;
}
