// Temporary directories that are removed on dispose, on failure and on Ctrl-C.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { reclaimDead, TEMP_DIR_PATTERN } from './stale.js';

export interface TempDir {
  path: string;
  dispose(): Promise<void>;
}

/**
 * A private (0700) temp dir under `parent` (default: the OS temp dir), named `day0-<prefix>-p<pid>-XXXXXX` so that
 * a later run can tell whose it is. Under an explicit `parent` (a cache or log dir), such dirs left by processes that
 * died (kill -9) are removed first.
 */
export async function makeTempDir(prefix: string, parent?: string): Promise<TempDir> {
  if (parent !== undefined) await reclaimDead(parent, TEMP_DIR_PATTERN);
  const path = await mkdtemp(join(parent ?? tmpdir(), `day0-${prefix}-p${process.pid}-`));
  const reg = onCleanup(`temp dir ${path}`, () => rm(path, { recursive: true, force: true }));
  return { path, dispose: () => reg.dispose() };
}

/** Run `fn` with a temp dir that is always removed afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>, parent?: string): Promise<T> {
  const t = await makeTempDir(prefix, parent);
  try {
    return await fn(t.path);
  } finally {
    await t.dispose();
  }
}
