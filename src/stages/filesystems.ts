// Filesystems on loopback regions, built without mounting the disk image.
//
// osbuild's stages make a filesystem on a loop device (mkfs.*), then copy trees into it through a mount. day0's
// executor keeps those semantics but defers the work: an mkfs stage records a job for the region (file, start,
// size, sector size); copy/mkdir stages whose destination is a mount of that region add operations to the job;
// before any other stage touches the disk (or at the end of the pipeline) each job is built as a separate
// filesystem image — mkfs.ext4 -d, mtools for FAT, a loop-mounted XFS inside the builder — and written into
// the disk at its offset with `dd conv=notrunc,sparse`. No loop device or mount of the disk image itself, no FAT
// mount (this kernel has no vfat), and identical jobs (same filesystem, options, size, sector size and content
// trees) are built once per run and reused — e.g. the root filesystem shared by the metal, qemu and vmware disks.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Day0Error } from '../util/errors.js';
import { buildExt4 } from './mkfs-ext4.js';
import { buildFat } from './mkfs-fat.js';
import { buildXfs } from './mkfs-xfs.js';
import type { Bind } from '../executor/types.js';
import { runQueue, tool, type QueuedTool, type ResolvedDevice, type StageEnv } from './types.js';

export type FsType = 'vfat' | 'ext4' | 'xfs';

export type FsOp =
  /** `cp -a` of `from` (host path, or a builder-root path) to `to` inside the filesystem (osbuild copy semantics). */
  | { kind: 'copy'; from: string; to: string }
  | { kind: 'mkdir'; path: string; mode?: number; parents?: boolean; existOk?: boolean };

export interface FsJob {
  device: ResolvedDevice;
  fstype: FsType;
  options: Record<string, unknown>;
  ops: FsOp[];
  /** Host paths the ops read (the copying stage's read-only input trees), bound when the job is built. */
  binds: Bind[];
}

/** What a filesystem builder gets: the image file to create, its size, and the directory whose content goes in. */
export interface FsBuild {
  image: string;
  sizeBytes: number;
  sectorSize: 512 | 4096;
  options: Record<string, unknown>;
  /** Directory (host path or builder path) with the filesystem's content; undefined = empty filesystem. */
  content?: string;
  /** Scratch dir for the builder (mount points). */
  scratch: string;
}

/**
 * `dd if=IMG of=DISK seek=OFFSET conv=notrunc,sparse`, but visiting only the image's data extents
 * (SEEK_DATA/SEEK_HOLE) and copying them in the kernel (copy_file_range): a 3.5 GiB root image holding 0.8 GiB
 * of data costs 0.8 GiB of I/O. The disk file is freshly truncated (all holes), so skipping holes is exact.
 */
const SPARSE_WRITE = `
import os, sys
src, dst, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
fi = os.open(src, os.O_RDONLY)
fo = os.open(dst, os.O_WRONLY)
end = os.fstat(fi).st_size
pos = 0
while pos < end:
    try:
        pos = os.lseek(fi, pos, os.SEEK_DATA)
    except OSError:
        break
    hole = os.lseek(fi, pos, os.SEEK_HOLE)
    while pos < hole:
        try:
            n = os.copy_file_range(fi, fo, hole - pos, pos, base + pos)
        except OSError:
            os.lseek(fi, pos, os.SEEK_SET)
            data = os.read(fi, min(hole - pos, 8 << 20))
            n = os.pwrite(fo, data, base + pos)
        if n <= 0:
            raise SystemExit("short copy at %d" % pos)
        pos += n
os.fsync(fo)
`;

const regionKey = (d: ResolvedDevice) => `${d.file}@${d.start}+${d.size ?? 'end'}/${d.sectorSize}`;

export class FilesystemJobs {
  private pending: FsJob[] = [];
  private seq = 0;

  /** `built`: job key → built image path; shared by all pipelines of a run. */
  constructor(private readonly built: Map<string, string>) {}

  create(device: ResolvedDevice, fstype: FsType, options: Record<string, unknown>): void {
    if (device.size === undefined) throw new Day0Error(`mkfs on ${device.file} needs a loopback device with start and size`, { fix: 'give the loopback device "start" and "size" in sectors' });
    this.pending = this.pending.filter((j) => regionKey(j.device) !== regionKey(device));
    this.pending.push({ device, fstype, options, ops: [], binds: [] });
  }

  /** The pending job for a device region, or undefined when nothing was made there in this pipeline. */
  find(device: ResolvedDevice): FsJob | undefined {
    return this.pending.find((j) => regionKey(j.device) === regionKey(device));
  }

  get size(): number {
    return this.pending.length;
  }

  /** Build every pending filesystem and write it into its disk image. */
  async flush(env: StageEnv): Promise<void> {
    const jobs = this.pending;
    this.pending = [];
    for (const job of jobs) {
      const d = job.device;
      const jenv = { ...env, binds: [...env.binds, ...job.binds], queue: [] as QueuedTool[] };
      // The build's tool call and the write into the disk share one builder start (queued, then run).
      const img = await this.image(jenv, job);
      env.log(`writing ${job.fstype} (${job.options.label ?? ''}) into ${d.file} at sector ${d.start}`);
      await tool(jenv, ['/usr/bin/python3', '-c', SPARSE_WRITE, img, d.file, String(d.start * d.sectorSize)], `write ${job.fstype} into the disk`);
      await runQueue(env.exec, jenv.queue, env.pipeline, env.signal);
    }
  }

  private async image(env: StageEnv, job: FsJob): Promise<string> {
    const d = job.device;
    const sizeBytes = (d.size ?? 0) * d.sectorSize;
    const key = createHash('sha256').update(JSON.stringify({ t: job.fstype, o: job.options, sizeBytes, ss: d.sectorSize, ops: job.ops })).digest('hex').slice(0, 16);
    const cached = this.built.get(key);
    if (cached) {
      env.log(`reusing the ${job.fstype} filesystem image ${cached}`);
      return cached;
    }
    const dir = join(env.workDir, 'fs');
    await mkdir(dir, { recursive: true });
    const image = join(dir, `${job.fstype}-${key}.img`);
    const scratch = join(env.workDir, 'scratch', `${key}`);
    await mkdir(scratch, { recursive: true });
    const content = await this.content(env, job, key);
    const b: FsBuild = { image, sizeBytes, sectorSize: d.sectorSize, options: job.options, scratch, ...(content ? { content } : {}) };
    env.log(`building ${job.fstype} filesystem ${job.options.label ?? ''} (${Math.round(sizeBytes / 1048576)} MiB, ${d.sectorSize}-byte sectors)`);
    if (job.fstype === 'ext4') await buildExt4(env, b);
    else if (job.fstype === 'xfs') await buildXfs(env, b);
    else await buildFat(env, b);
    this.built.set(key, image);
    return image;
  }

  /** The directory to fill the filesystem from: the single source tree as is, or a staging dir built from the ops. */
  private async content(env: StageEnv, job: FsJob, key: string): Promise<string | undefined> {
    if (job.ops.length === 0) return undefined;
    const only = job.ops[0]!;
    if (job.ops.length === 1 && only.kind === 'copy' && (only.to === '/.' || only.to === '/') && only.from.endsWith('/.')) {
      return only.from.slice(0, -2) || '/';
    }
    const staging = join(env.workDir, 'staging', `${key}-${this.seq++}`);
    await mkdir(staging, { recursive: true });
    for (const op of job.ops) {
      if (op.kind === 'copy') {
        await tool(env, ['cp', '-a', '--reflink=auto', op.from, join(staging, op.to)], `cp into ${job.fstype} staging`);
      } else {
        const argv = ['mkdir', ...(op.parents || op.existOk ? ['-p'] : []), ...(op.mode !== undefined ? ['-m', op.mode.toString(8)] : []), join(staging, op.path)];
        await tool(env, argv, 'mkdir in staging');
      }
    }
    return staging;
  }
}
