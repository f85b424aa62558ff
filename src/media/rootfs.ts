// The live root filesystem image (root.squashfs or root.erofs), made once per image digest and format and
// shared by PXE and ISO (and by later builds of the same digest).
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { check, type Executor } from '../executor/index.js';
import type { BootableImage } from '../image/types.js';
import { writeViaTemp } from '../util/atomic.js';
import { cacheDir } from '../util/paths.js';

export type RootfsFormat = 'squashfs' | 'erofs';

export interface RootImage {
  path: string;
  format: RootfsFormat;
  size: number;
  /** True when it came from the cache. */
  cached: boolean;
}

/** The builder command that makes the image. */
export function rootImageArgv(format: RootfsFormat, root: string, out: string): string[] {
  return format === 'squashfs'
    ? ['mksquashfs', root, out, '-comp', 'zstd', '-Xcompression-level', '6', '-noappend', '-no-progress', '-quiet', '-xattrs']
    : ['mkfs.erofs', '-zlz4hc', '--quiet', out, root];
}

export async function makeRootImage(exec: Executor, img: BootableImage, format: RootfsFormat): Promise<RootImage> {
  const dir = join(cacheDir(), 'live', img.image.digest.replace(':', '-'));
  const path = join(dir, `root.${format}`);
  const existing = await stat(path).catch(() => undefined);
  if (existing) return { path, format, size: existing.size, cached: true };

  await mkdir(dir, { recursive: true });
  await writeViaTemp(path, async (tmp) =>
    check(
      await exec.run({
        argv: rootImageArgv(format, img.rootfs, tmp),
        binds: [{ path: img.rootfs, readonly: true }, { path: dir }],
        label: `mk${format}`,
      }),
      `making root.${format}`,
      'check free disk space (day0 doctor) and that the image unpacked fully',
    ));
  return { path, format, size: (await stat(path)).size, cached: false };
}
