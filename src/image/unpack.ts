// Unpack: the cached OCI layout of one digest → cacheDir()/rootfs/<hex>/, with umoci in the (privileged, root)
// builder: layers applied in order with OCI whiteouts and opaque dirs, owners, modes, xattrs, hard links, symlinks
// and device nodes kept. umoci resolves every entry inside the root (securejoin), so `..`, absolute and chained
// symlinks and hard links cannot write outside it; it also checks each blob against its digest as it reads it.
// Atomic: unpacked into a work dir under cacheDir()/tmp, renamed into place when complete. A digest already
// unpacked is not unpacked again.
import { existsSync } from 'node:fs';
import { chmod, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { check } from '../executor/index.js';
import { CACHE_SPACE_FIX, ensureSpace, isNoSpace, noSpaceError, unpackedEstimate } from '../util/space.js';
import { Day0Error } from '../util/errors.js';
import { makeTempDir } from '../util/tmp.js';
import { cachePaths, ensureCache, markInUse, touchEntry, type CachePaths } from './cache.js';
import type { IntakeContext } from './pull.js';
import { layersSetRoot, STORAGE_ROOT_MODE } from './root-mode.js';
import type { PulledImage } from './types.js';

export interface UnpackResult {
  rootfs: string;
  /** True when the root filesystem came from the cache (nothing unpacked). */
  cached: boolean;
}

export function rootfsPath(digest: string, p: CachePaths = cachePaths()): string {
  return join(p.rootfs, digest.replace(/^sha256:/, ''));
}

export async function unpackImage(
  ctx: IntakeContext,
  img: Pick<PulledImage, 'digest' | 'layoutDir' | 'layoutTag' | 'input'> & Partial<Pick<PulledImage, 'layers'>>,
  opts: { signal?: AbortSignal; onProgress?: (msg: string) => void } = {},
): Promise<UnpackResult> {
  const p = await ensureCache(cachePaths());
  const hex = img.digest.replace(/^sha256:/, '');
  await markInUse(hex, p);
  const final = rootfsPath(img.digest, p);
  if (existsSync(final)) {
    await touchEntry(hex, p);
    return { rootfs: final, cached: true };
  }
  if (!existsSync(join(img.layoutDir, 'index.json'))) {
    throw new Day0Error(`the image layout for ${img.digest} is missing from the cache (${img.layoutDir})`, {
      fix: 'pull the image again (a concurrent `day0 cache prune` may have removed it)',
    });
  }
  const layerBytes = (img.layers ?? []).reduce((a, l) => a + l.size, 0);
  if (layerBytes > 0) await ensureSpace(p.tmp, unpackedEstimate(layerBytes), `unpacking ${img.input}`, CACHE_SPACE_FIX);
  opts.onProgress?.(`unpacking ${img.digest.slice(0, 19)}… into ${final}`);
  const work = await makeTempDir(`unpack-${process.pid}`, p.tmp);
  try {
    const target = join(work.path, 'rootfs');
    const res = await ctx.exec.run({
      argv: ['umoci', '--log', 'error', 'raw', 'unpack', '--image', `${img.layoutDir}:${img.layoutTag}`, target],
      binds: [{ path: img.layoutDir, readonly: true }, { path: work.path }],
      network: 'none',
      label: 'umoci raw unpack',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.exitCode !== 0 && !res.killed && isNoSpace(res.stderr)) throw await noSpaceError(p.tmp, `unpacking ${img.input}`, CACHE_SPACE_FIX);
    if (res.exitCode !== 0 && !res.killed) {
      const why = res.stderr.trim().split('\n').slice(-6).join('\n    ');
      throw new Day0Error(`unpacking ${img.input} (${img.digest}) failed:\n    ${why}`, {
        fix: /digest|verif|mismatch|hash/i.test(why)
          ? 'a cached blob is damaged: run `day0 cache prune --max-size 0` and pull again'
          : 'the image has a layer umoci refuses (see above); rebuild the image, or report it if it is a valid image',
      });
    }
    check(res, 'umoci raw unpack');
    if (!existsSync(target)) throw new Day0Error(`umoci wrote no root filesystem for ${img.digest}`, { fix: 'run `day0 doctor` and retry' });
    // Defence in depth: the work dir must hold the root filesystem and nothing else.
    const stray = (await readdir(work.path)).filter((n) => n !== 'rootfs');
    if (stray.length) {
      throw new Day0Error(`unpacking ${img.input} wrote outside the root filesystem (${stray.join(', ')}); the result was discarded`, {
        fix: 'the image has hostile or broken layers: do not use it; report it to its publisher',
      });
    }
    // The root's mode as containers-storage (podman, osbuild) gives it when no layer sets it.
    if (img.layers?.length && !(await layersSetRoot(img.layoutDir, img.layers))) await chmod(target, STORAGE_ROOT_MODE);
    try {
      await rename(target, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process unpacked the same digest meanwhile: theirs is as good as ours.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    await work.dispose();
  }
  await touchEntry(hex, p);
  return { rootfs: final, cached: false };
}
