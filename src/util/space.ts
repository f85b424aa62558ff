// Free space: checked before a step writes, against what it will write, so a full disk is named up front instead
// of surfacing as a tool's failure halfway (umoci, mksquashfs, mkfs). The estimates are deliberately generous
// upper bounds from sizes known before the step starts (compressed layer sizes, the formats asked for).
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Day0Error } from './errors.js';

const MiB = 1024 * 1024;

/** The fix for a cache that is short of space. */
export const CACHE_SPACE_FIX = 'free space, run `day0 cache prune` (or `cache prune --max-size 0`), or point DAY0_CACHE at a larger disk';

/** Bytes an unprivileged writer may still use on the filesystem holding `path` (its nearest existing ancestor). */
export async function freeBytes(path: string): Promise<number> {
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = await statfs(p);
      return Number(s.bavail) * Number(s.bsize);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw err;
    }
  }
}

/** Does a tool's message say the disk (or a quota) is full? */
export function isNoSpace(text: string): boolean {
  return /no space left on device|ENOSPC|disk quota exceeded|EDQUOT/i.test(text);
}

export const fmtBytes = (n: number): string => (n >= 1024 * MiB ? `${(n / (1024 * MiB)).toFixed(1)} GiB` : `${Math.ceil(n / MiB)} MiB`);

/** Refuse (Day0Error) when `path`'s filesystem has less than `need` bytes free for `what`. */
export async function ensureSpace(path: string, need: number, what: string, fix: string): Promise<void> {
  const free = await freeBytes(path);
  if (free < need) {
    throw new Day0Error(`not enough free space for ${what}: ${fmtBytes(free)} free on the filesystem of ${path}, about ${fmtBytes(need)} needed`, { fix });
  }
}

/** The error for a step that ran out of space anyway (the estimate was low, or something else filled the disk). */
export async function noSpaceError(path: string, what: string, fix: string): Promise<Day0Error> {
  const free = await freeBytes(path).catch(() => undefined);
  return new Day0Error(`no space left on the filesystem of ${path} while ${what}${free !== undefined ? ` (${fmtBytes(free)} free now)` : ''}`, { fix });
}

// --- estimates (pure) ---

/** A root filesystem unpacked from layers of this compressed size: gzip/zstd layers expand ~2.5–3× (upper bound 4×). */
export function unpackedEstimate(layerBytes: number): number {
  return layerBytes * 4 + 64 * MiB;
}

/**
 * What one platform's build writes into the output dir's staging area, from the image's compressed layer size:
 * the live root filesystem image (squashfs/erofs, about the layers' size) once in the ISO and once as the PXE
 * rootfs; each disk image holds the unpacked tree (raw and qcow2 are sparse: only what is written counts; a
 * streamOptimized vmdk is compressed, a fixed VHD is written through qemu-img and stays sparse too).
 */
export function outputEstimate(formats: readonly string[], layerBytes: number): number {
  const live = layerBytes * 1.5 + 128 * MiB;
  const tree = unpackedEstimate(layerBytes);
  let need = 0;
  for (const f of new Set(formats)) {
    if (f === 'iso' || f === 'pxe') need += live;
    else if (f === 'vmware') need += tree / 2 + tree; // the raw disk it is converted from, then the vmdk
    else if (f === 'qemu' || f === 'azure') need += tree * 2; // raw disk + converted copy, both alive until the end
    else need += tree;
  }
  return Math.ceil(need);
}
