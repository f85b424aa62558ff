// Outputs appear complete or not at all: `fn` writes a temp name beside `final`, which is renamed into place on
// success and removed on failure and on Ctrl-C.
import { rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { onCleanup } from './cleanup.js';
import { reclaimDead } from './stale.js';

export async function writeViaTemp<T>(final: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = `${final}.tmp-${process.pid}`;
  // Partial files of the same output left by a killed run (e.g. a 1 GB root.squashfs.tmp-<pid>) go first.
  const esc = basename(final).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await reclaimDead(dirname(final), new RegExp(`^${esc}\\.tmp-(\\d+)$`));
  const reg = onCleanup(`partial ${tmp}`, () => rm(tmp, { force: true }));
  try {
    await rm(tmp, { force: true });
    const r = await fn(tmp);
    await rename(tmp, final);
    return r;
  } finally {
    await reg.dispose();
  }
}
