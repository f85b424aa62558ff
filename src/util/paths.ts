// Where day0 finds its own files (profiles, builder recipe) and keeps its cache.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The day0 checkout / package root (holds profiles/, builder/, hack/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function profilesDir(): string {
  return process.env.DAY0_PROFILES_DIR ?? join(PACKAGE_ROOT, 'profiles');
}

/** day0's cache root: $DAY0_CACHE, else $XDG_CACHE_HOME/day0, else ~/.cache/day0 (same as hack/lib.sh). */
export function cacheDir(): string {
  if (process.env.DAY0_CACHE) return process.env.DAY0_CACHE;
  const xdg = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(xdg, 'day0');
}
