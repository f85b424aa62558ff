// GPT disk layout from the platform profile: partition offsets and sizes in sectors, for 512- and 4096-byte
// sectors. Pure arithmetic, unit-tested; the manifest and the executor both take their numbers from here.
import type { Partition, Profile } from '../profiles/schema.js';
import { Day0Error } from '../util/errors.js';

export type SectorSize = 512 | 4096;

export const MIB = 1024 * 1024;
/** Partitions start and end on 1 MiB boundaries (as sfdisk, CoreOS and osbuild align them). */
export const ALIGN_BYTES = MIB;
/** GPT partition entry array: 128 entries of 128 bytes. */
const GPT_ENTRIES_BYTES = 128 * 128;

export interface PlannedPartition {
  /** 1-based partition number as the kernel and sfdisk count them. */
  number: number;
  name: string;
  type: string;
  filesystem?: 'vfat' | 'ext4' | 'xfs';
  label?: string;
  mountpoint?: string;
  role?: 'bios-boot' | 'esp' | 'prep';
  /** In sectors of `sectorSize`. */
  start: number;
  size: number;
  /** Byte offset and length, for dd and mtools. */
  offsetBytes: number;
  sizeBytes: number;
}

export interface DiskLayout {
  sectorSize: SectorSize;
  sizeBytes: number;
  totalSectors: number;
  firstUsable: number;
  lastUsable: number;
  partitions: PlannedPartition[];
}

export interface LayoutOptions {
  sectorSize: SectorSize;
  diskSizeMib: number;
  /** Override the root filesystem type (the partition mounted at /). */
  rootFs?: 'xfs' | 'ext4';
}

export function gptEntrySectors(sectorSize: SectorSize): number {
  return Math.ceil(GPT_ENTRIES_BYTES / sectorSize);
}

/** Lay out the profile's partitions on a disk of `diskSizeMib`; the size-0 partition takes the rest. */
export function planLayout(profile: Profile, opts: LayoutOptions): DiskLayout {
  const ss = opts.sectorSize;
  if (!profile.disk.sector_sizes.includes(ss)) {
    throw new Day0Error(`profile ${profile.arch} does not support ${ss}-byte sectors`, {
      fix: `use one of: ${profile.disk.sector_sizes.join(', ')}`,
    });
  }
  if (profile.disk.table !== 'gpt') {
    throw new Day0Error(`disk images need a GPT profile (profile ${profile.arch} has "${profile.disk.table}")`, { fix: 'set [disk] table = "gpt"' });
  }
  if (!Number.isInteger(opts.diskSizeMib) || opts.diskSizeMib <= 0) {
    throw new Day0Error(`disk size must be a whole number of MiB (got ${opts.diskSizeMib})`, { fix: 'pass --disk-size as an integer MiB count, e.g. 4096' });
  }
  const align = ALIGN_BYTES / ss;
  const sizeBytes = opts.diskSizeMib * MIB;
  const totalSectors = sizeBytes / ss;
  const entries = gptEntrySectors(ss);
  const firstUsable = 2 + entries;
  const lastUsable = totalSectors - 2 - entries;
  const alignUp = (n: number) => Math.ceil(n / align) * align;
  const alignDown = (n: number) => Math.floor(n / align) * align;

  const fixed = profile.disk.partitions.reduce((a, p) => a + p.size_mib, 0);
  const out: PlannedPartition[] = [];
  let next = alignUp(firstUsable);
  profile.disk.partitions.forEach((p: Partition, i) => {
    const start = next;
    let size: number;
    if (p.size_mib > 0) {
      size = p.size_mib * align;
    } else {
      const end = alignDown(lastUsable + 1);
      // Later fixed-size partitions (none in CoreOS's layout) still need their room.
      const after = profile.disk.partitions.slice(i + 1).reduce((a, q) => a + q.size_mib, 0) * align;
      size = end - after - start;
    }
    const fs = p.mountpoint === '/' && opts.rootFs ? opts.rootFs : p.filesystem;
    if (size <= 0 || start + size - 1 > lastUsable) {
      throw new Day0Error(
        `disk size ${opts.diskSizeMib} MiB is too small for the ${profile.arch} layout (${fixed} MiB of fixed partitions + a root filesystem)`,
        { fix: `pass a larger --disk-size (at least ${fixed + 1024} MiB is sensible)` },
      );
    }
    out.push({
      number: i + 1,
      name: p.name,
      type: p.type.toUpperCase(),
      ...(fs ? { filesystem: fs } : {}),
      ...(p.label ? { label: p.label } : {}),
      ...(p.mountpoint ? { mountpoint: p.mountpoint } : {}),
      ...(p.role ? { role: p.role } : {}),
      start,
      size,
      offsetBytes: start * ss,
      sizeBytes: size * ss,
    });
    next = alignUp(start + size);
  });
  return { sectorSize: ss, sizeBytes, totalSectors, firstUsable, lastUsable, partitions: out };
}

/** The partition holding a mountpoint, or an error naming the profile gap. */
export function partitionAt(layout: DiskLayout, mountpoint: string): PlannedPartition {
  const p = layout.partitions.find((x) => x.mountpoint === mountpoint);
  if (!p) throw new Day0Error(`the disk layout has no partition mounted at ${mountpoint}`, { fix: `add a [[disk.partitions]] with mountpoint = "${mountpoint}" to the profile` });
  return p;
}

