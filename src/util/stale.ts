// Leftovers of day0 processes that died without cleaning up (kill -9, power loss): temporary files and dirs whose
// name carries the owner's pid. The next run removes those whose owner is gone; a live owner's are never touched.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Is a process with this pid alive (EPERM: alive, someone else's)? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the entries of `dir` whose name matches `pattern` (group 1 = the owner pid) and whose owner is dead.
 * Returns the names removed. A missing `dir` is nothing to do; errors on single entries are skipped.
 */
export async function reclaimDead(dir: string, pattern: RegExp): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = pattern.exec(n);
    if (!m?.[1] || pidAlive(Number(m[1]))) continue;
    try {
      await rm(join(dir, n), { recursive: true, force: true });
      removed.push(n);
    } catch {
      /* raced with another cleaner, or not ours to remove */
    }
  }
  return removed;
}

/** Temporary dirs of makeTempDir: `day0-<prefix>-p<pid>-XXXXXX`. */
export const TEMP_DIR_PATTERN = /^day0-.*-p(\d+)-[A-Za-z0-9]{6}$/;
/** Temporary files of writeViaTemp: `<name>.tmp-<pid>`. */
export const VIA_TEMP_PATTERN = /\.tmp-(\d+)$/;
/** Staging dirs of the output directory: `.day0-staging-<pid>-XXXXXX`. */
export const STAGING_PATTERN = /^\.day0-staging-(\d+)-[A-Za-z0-9]{6}$/;
/** Temporary outputs of the iso/pxe verbs: `.<name>.day0-<pid>-<hex>.tmp`. */
export const OUTPUT_TEMP_PATTERN = /^\..*\.day0-(\d+)-[0-9a-f]+\.tmp$/;
