// Disk images for installed systems: metal raw (512 and 4k sectors), qcow2, vmdk and vhd, from a bootable image
// and an optional Ignition config. The build plan is an osbuild manifest (src/manifest/disk.ts) run by day0's
// executor (src/stages) inside the builder container; `engine: 'osbuild'` hands the same manifest to osbuild.
//
// Work sharing: the OS tree is the unpacked image itself (read-only, never copied); the ESP and root filesystem
// images are built once per sector size and reused by every disk of that sector size (metal, qemu, vmware,
// azure differ only in the boot partition's grub.cfg and baked config); qcow2/vmdk/vhd are converted from their
// raw disk. Outputs appear only when every requested format is built: they are made in a private work dir
// inside outDir and renamed into place; the work dir (and any loop device) is removed on success, on failure
// and on Ctrl-C.
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { Context } from '../cli/context.js';
import { check } from '../executor/run.js';
import type { Executor } from '../executor/types.js';
import type { BootableImage } from '../image/types.js';
import { DISK_FORMATS, FORMATS, generateDiskManifest, type ContainerRef, type DiskFormat, type DiskPlan, type DiskPlatform } from '../manifest/disk.js';
import { bootModes } from '../profiles/boot.js';
import { DEFERRED_GRUB_MODULES } from '../manifest/grub.js';
import { partitionAt, planLayout, type SectorSize } from '../manifest/layout.js';
import type { Manifest } from '../manifest/types.js';
import { runManifest, runManifestWithOsbuild } from '../stages/run-manifest.js';
import { onCleanup } from '../util/cleanup.js';
import { sha256File } from '../util/hash.js';
import { Day0Error } from '../util/errors.js';
import { makeTempDir } from '../util/tmp.js';

export { DISK_FORMATS, FORMATS, outputFileName, type DiskFormat, type DiskPlatform } from '../manifest/disk.js';

/** Options of {@link buildDiskImages} and {@link emitManifest}. */
export interface DiskBuildOptions {
  /**
   * Formats to build, each one file in `outDir`:
   * - `metal`   → `<name>-metal.<arch>.raw`   (512-byte sectors, `ignition.platform.id=metal`, config baked)
   * - `metal4k` → `<name>-metal4k.<arch>.raw` (4096-byte sectors, GPT at 4k LBAs; for 4k-native disks, UEFI)
   * - `qemu`    → `<name>-qemu.<arch>.qcow2`  (`ignition.platform.id=qemu`: config via fw_cfg at boot)
   * - `vmware`  → `<name>-vmware.<arch>.vmdk` (streamOptimized, `ignition.platform.id=vmware`)
   * - `azure`   → `<name>-azure.<arch>.vhd`   (fixed VHD, whole MiB, `ignition.platform.id=azure`)
   */
  formats: DiskFormat[];
  /**
   * Ignition config (already validated/rendered JSON). Baked into metal images at /boot/ignition/config.ign
   * (mode 0600) and handed to Ignition by the image's initramfs on first boot; never written into the other
   * platforms' images (they get their config from the platform). It also ends up in an emitted manifest (inline
   * source), which is therefore written 0600.
   */
  ignition?: Buffer;
  /** Disk size in MiB (default: the profile's `disk.default_size_mib`); the root partition takes the rest. */
  diskSizeMib?: number;
  /** Extra kernel arguments, one per entry (no whitespace), after the profile's. */
  kargAppend?: string[];
  /** Root filesystem type (default: the profile's, xfs for x86_64). */
  rootFs?: 'xfs' | 'ext4';
  /** Directory for the outputs (created if missing); also holds the private work dir while building. */
  outDir: string;
  /** Base name of the outputs. */
  name: string;
  /** `day0` (default): day0's own executor. `osbuild`: hand the manifest to osbuild in the builder. */
  engine?: 'day0' | 'osbuild';
  /** The registry's TLS: false for a plain-HTTP registry (written into the manifest's skopeo source). */
  tlsVerify?: boolean;
  /** Also write the manifest that was run to this file (mode 0600). */
  emitManifest?: string;
  /** Compute `sha256` of each output (default true; pass false when the caller hashes while publishing). */
  checksums?: boolean;
  /** Fixed seed for disk/partition/filesystem UUIDs (default: random per build). */
  seed?: string;
  signal?: AbortSignal;
  /** Progress lines ("building xfs filesystem root …"). */
  log?: (msg: string) => void;
  /** Same as `log` (either may be given). */
  progress?: (msg: string) => void;
}

export interface DiskOutput {
  format: DiskFormat;
  platform: DiskPlatform;
  sectorSize: SectorSize;
  path: string;
  /** Apparent size in bytes (the virtual disk size for raw). */
  bytes: number;
  /** Hex SHA-256 of the file; empty when `checksums: false`. */
  sha256: string;
}

/** The outputs (an array, one per format, in request order) with the run's manifest and timings attached. */
export type DiskBuildResult = DiskOutput[] & {
  /** Same array, for readability: `result.outputs`. */
  outputs: DiskOutput[];
  manifest: Manifest;
  /** Seconds: total, and per pipeline of the manifest. */
  seconds: number;
  timings: Record<string, number>;
};

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkOptions(o: DiskBuildOptions, allowNone = false): void {
  if (!NAME_RE.test(o.name)) throw new Day0Error(`output name "${o.name}" is not a plain file name`, { fix: 'use letters, digits, ".", "_" and "-" only' });
  if (o.formats.length === 0 && !allowNone) throw new Day0Error('no disk image format requested', { fix: `pick one or more of: ${DISK_FORMATS.join(', ')}` });
  for (const f of o.formats) if (!(DISK_FORMATS as readonly string[]).includes(f)) throw new Day0Error(`unknown disk image format "${f}"`, { fix: `use one of: ${DISK_FORMATS.join(', ')}` });
}

/** The image ID (config digest) of the pulled image, read from its OCI layout; the manifest digest if unreadable. */
export async function imageConfigDigest(bootable: BootableImage): Promise<string> {
  const { layoutDir, digest } = bootable.image;
  try {
    const [algo, hex] = digest.split(':') as [string, string];
    const m = JSON.parse(await readFile(join(layoutDir, 'blobs', algo, hex), 'utf8')) as { config?: { digest?: string } };
    if (m.config?.digest && /^sha256:[0-9a-f]{64}$/.test(m.config.digest)) return m.config.digest;
  } catch {
    // fall through
  }
  return digest;
}

/**
 * How the manifest names the OS image: registry images (and images in containers-storage) as org.osbuild.skopeo
 * items pinned to the manifest digest day0 pulled, with the user's --tls-verify; anything else (oci-archive, oci
 * dir) by name only, which osbuild cannot fetch (`--engine osbuild` refuses those up front, see engineProblems).
 */
export function imageRef(bootable: BootableImage, id: string, tlsVerify = true): ContainerRef {
  const pinned = bootable.image.pinned;
  const at = pinned.lastIndexOf('@');
  const name = at > 0 ? pinned.slice(0, at) : pinned;
  const digest = /^sha256:[0-9a-f]{64}$/.test(bootable.image.digest) ? bootable.image.digest : undefined;
  const input = bootable.image.input;
  if (digest && input.startsWith('containers-storage:')) return { id, name: input.slice('containers-storage:'.length), digest, transport: 'containers-storage' };
  if (digest && !name.includes(':/') && !name.startsWith('/') && !/^(oci|oci-archive):/.test(name)) {
    return { id, name, digest, ...(tlsVerify ? {} : { tlsVerify: false }) };
  }
  return { id, name };
}

/** The builder image as the manifest's buildroot: a skopeo item from the local containers-storage it lives in. */
async function builderRef(ctx: Context): Promise<ContainerRef> {
  const name = ctx.cfg.executor.builder_image;
  if (ctx.exec.mode === 'podman') {
    const p = ctx.cfg.podman;
    const r = await execa(p.binary, [...p.global_args, 'image', 'inspect', '--format', '{{.Id}} {{.Digest}}', name], { reject: false });
    const [id, digest] = String(r.stdout).trim().split(' ');
    if (r.exitCode === 0 && id && /^[0-9a-f]{64}$/.test(id)) {
      const info = await execa(p.binary, [...p.global_args, 'info', '--format', '{{.Store.GraphRoot}}'], { reject: false });
      const graphRoot = String(info.stdout).trim();
      return {
        id: `sha256:${id}`,
        name,
        ...(digest && /^sha256:[0-9a-f]{64}$/.test(digest) ? { digest, transport: 'containers-storage' as const } : {}),
        ...(info.exitCode === 0 && graphRoot && graphRoot !== '/var/lib/containers/storage' ? { storageLocation: graphRoot } : {}),
      };
    }
  }
  return { id: `sha256:${createHash('sha256').update(name).digest('hex')}`, name };
}

/**
 * The GRUB EFI image of each EFI boot mode (keyed by its efi_boot_file, e.g. BOOTX64.EFI): grub-mkimage with the
 * profile's target and the modules that find and read the boot partition built in; the linux loader is not (grub.cfg
 * loads it from the boot partition after reading the BLS entries: see src/manifest/grub.ts).
 */
export async function makeEfiBinaries(exec: Executor, ctx: Context, dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const m of bootModes(ctx.profile).filter((x) => x.disk === 'grub2-efi')) {
    const target = m.grub_target!;
    const file = join(dir, `grub-${m.name}.efi`);
    const res = await exec.run({
      argv: ['grub-mkimage', '--directory', `/usr/lib/grub/${target}`, '--format', target, '--prefix', '/EFI/BOOT', '--output', file,
        ...m.grub_modules.filter((x) => !DEFERRED_GRUB_MODULES.includes(x))],
      binds: [{ path: dir }],
      label: `grub-mkimage (${target})`,
    });
    check(res, `grub-mkimage for ${m.name} (${target})`, `the builder image needs GRUB's ${target} modules (rebuild it: bash hack/builder-image.sh)`);
    out[m.efi_boot_file!] = await readFile(file);
  }
  return out;
}

async function rootTreeBytes(exec: Executor, rootfs: string): Promise<number | undefined> {
  const r = await exec.run({ argv: ['du', '-sx', '--block-size=1', rootfs], binds: [{ path: rootfs, readonly: true }], label: 'du rootfs' });
  const n = Number.parseInt(r.stdout, 10);
  return r.exitCode === 0 && Number.isFinite(n) ? n : undefined;
}

async function planFor(ctx: Context, bootable: BootableImage, o: DiskBuildOptions, efiBinaries: Record<string, Buffer>): Promise<{ plan: DiskPlan; image: ContainerRef; builder: ContainerRef }> {
  const id = await imageConfigDigest(bootable);
  const image = imageRef(bootable, id, o.tlsVerify !== false);
  const builder = await builderRef(ctx);
  const rootfs = bootable.rootfs;
  const rel = (p: string) => {
    if (!p.startsWith(`${rootfs}/`)) throw new Day0Error(`kernel file ${p} is not inside the image root filesystem ${rootfs}`, { fix: 'this is an image intake bug' });
    return p.slice(rootfs.length);
  };
  const plan = generateDiskManifest({
    profile: ctx.profile,
    name: o.name,
    formats: o.formats,
    ...(o.diskSizeMib !== undefined ? { diskSizeMib: o.diskSizeMib } : {}),
    ...(o.kargAppend ? { kargAppend: o.kargAppend } : {}),
    ...(o.rootFs ? { rootFs: o.rootFs } : {}),
    ...(o.ignition ? { ignition: o.ignition } : {}),
    kernel: { version: bootable.kernel.version, vmlinuz: rel(bootable.kernel.vmlinuz), initramfs: rel(bootable.kernel.initramfs) },
    osName: bootable.osRelease.PRETTY_NAME ?? bootable.osRelease.NAME ?? 'day0',
    image,
    builder,
    efiBinaries,
    seed: o.seed ?? randomUUID(),
    generator: { name: 'day0' },
  });
  return { plan, image, builder };
}

async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.day0-tmp-${process.pid}`;
  const reg = onCleanup(`temp file ${tmp}`, () => rm(tmp, { force: true }));
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
    reg.release();
  } finally {
    await reg.dispose();
  }
}

/** Write the build plan (osbuild manifest) for these options without building. Needs the builder (grub-mkimage). */
export async function emitManifest(ctx: Context, bootable: BootableImage, o: DiskBuildOptions, file: string): Promise<Manifest> {
  checkOptions(o, true);
  if (o.formats.length === 0) o = { ...o, formats: [...DISK_FORMATS] };
  const work = await makeTempDir('manifest');
  try {
    const { plan } = await planFor(ctx, bootable, o, await makeEfiBinaries(ctx.exec, ctx, work.path));
    await writePrivate(resolve(file), `${JSON.stringify(plan.manifest, null, 2)}\n`);
    return plan.manifest;
  } finally {
    await work.dispose();
  }
}

/** SHA-256 of files: openssl in the builder (SHA-NI: ~4x node's stream hashing here), node as the fallback. */
async function sha256Files(exec: Executor, files: string[], dir: string): Promise<string[]> {
  const r = await exec.run({ argv: ['openssl', 'dgst', '-sha256', '-r', ...files], binds: [{ path: dir, readonly: true }], label: 'sha256' });
  const sums = r.exitCode === 0 ? r.stdout.trim().split('\n').map((l) => l.split(' ')[0] ?? '') : [];
  if (sums.length === files.length && sums.every((x) => /^[0-9a-f]{64}$/.test(x))) return sums;
  return Promise.all(files.map(sha256File));
}

/** Detach loop devices still backed by files under `dir` (only after a killed builder; normally none). */
async function detachLoops(exec: Executor, dir: string): Promise<void> {
  await exec.run({
    argv: ['sh', '-c', 'losetup -n -O NAME,BACK-FILE -l 2>/dev/null | while read -r dev file; do case "$file" in "$1"/*) losetup -d "$dev" || true;; esac; done', 'sh', dir],
    label: 'loop sweep',
    timeoutMs: 30_000,
  }).catch(() => undefined);
}

/**
 * Build the requested disk images into `outDir`. See {@link DiskBuildOptions}. With no formats but
 * `emitManifest`, only the manifest (for every disk format) is written and the result is empty.
 */
export async function buildDiskImages(ctx: Context, bootable: BootableImage, o: DiskBuildOptions): Promise<DiskBuildResult> {
  checkOptions(o, o.emitManifest !== undefined);
  const started = Date.now();
  const log = o.log ?? o.progress ?? (() => undefined);
  if (o.formats.length === 0) {
    const manifest = await emitManifest(ctx, bootable, o, o.emitManifest!);
    return Object.assign([] as DiskOutput[], { outputs: [], manifest, seconds: (Date.now() - started) / 1000, timings: {} });
  }
  const outDir = resolve(o.outDir);
  await mkdir(outDir, { recursive: true });

  // The work dir lives in outDir so that outputs are renamed (not copied) into place.
  const work = await makeTempDir('disk', outDir);
  const loops = onCleanup(`loop devices under ${work.path}`, () => detachLoops(ctx.exec, work.path));
  try {
    const { plan, image, builder } = await planFor(ctx, bootable, o, await makeEfiBinaries(ctx.exec, ctx, work.path));
    if (o.emitManifest) await writePrivate(resolve(o.emitManifest), `${JSON.stringify(plan.manifest, null, 2)}\n`);

    // Fail early, with a fix, when the tree cannot fit the root partition.
    const treeBytes = await rootTreeBytes(ctx.exec, bootable.rootfs);
    for (const out of plan.outputs) {
      const root = partitionAt(out.layout, '/');
      if (treeBytes !== undefined && treeBytes * 1.1 + 128 * 1048576 > root.sizeBytes) {
        const need = Math.ceil((treeBytes * 1.1 + 128 * 1048576 + (out.layout.sizeBytes - root.sizeBytes)) / 1048576 / 256) * 256;
        throw new Day0Error(`the image's root filesystem (${Math.round(treeBytes / 1048576)} MiB) does not fit the ${Math.round(root.sizeBytes / 1048576)} MiB root partition`, {
          fix: `pass --disk-size ${need} or more`,
        });
      }
    }

    let timings: Record<string, number> = {};
    const built: { out: DiskPlan['outputs'][number]; file: string }[] = [];
    if ((o.engine ?? 'day0') === 'osbuild') {
      const mf = join(work.path, 'manifest.json');
      await writeFile(mf, JSON.stringify(plan.manifest), { mode: 0o600 });
      const exportDir = join(work.path, 'osbuild-out');
      await runManifestWithOsbuild(ctx.exec, plan.manifest, mf, exportDir, join(work.path, 'osbuild-store'), plan.outputs.map((x) => x.pipeline));
      for (const out of plan.outputs) built.push({ out, file: join(exportDir, out.pipeline, out.file) });
    } else {
      const res = await runManifest(plan.manifest, {
        exec: ctx.exec,
        workDir: work.path,
        containers: { [image.id]: { dir: bootable.rootfs }, [builder.id]: { builder: true } },
        exports: plan.outputs.map((x) => x.pipeline),
        validate: 'if-available',
        log,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      timings = res.timings;
      for (const out of plan.outputs) built.push({ out, file: join(res.trees[out.pipeline]!, out.file) });
    }

    // Checksums, then rename everything into place (only once all formats are built).
    const sums = o.checksums === false ? built.map(() => '') : (log(`sha256 of ${built.map((b) => b.out.fileName).join(', ')}`), await sha256Files(ctx.exec, built.map((b) => b.file), work.path));
    const outputs: DiskOutput[] = [];
    for (const [i, { out, file }] of built.entries()) {
      const st = await stat(file);
      outputs.push({ format: out.format, platform: out.platform, sectorSize: out.layout.sectorSize, path: join(outDir, out.fileName), bytes: st.size, sha256: sums[i]! });
    }
    for (const [i, { file }] of built.entries()) await rename(file, outputs[i]!.path);
    return Object.assign([...outputs], { outputs, manifest: plan.manifest, seconds: (Date.now() - started) / 1000, timings });
  } catch (err) {
    // After a failure or Ctrl-C (the signal handler may already be running the registered undo steps, and the
    // caller may exit as soon as this rejects): detach and remove here too, and only then rethrow.
    await detachLoops(ctx.exec, work.path);
    throw err;
  } finally {
    loops.release();
    await work.dispose();
    await rm(work.path, { recursive: true, force: true });
  }
}

/** Sector size and disk layout a format gets (for callers that boot-check: QEMU's logical_block_size). */
export function formatSectorSize(format: DiskFormat): SectorSize {
  return FORMATS[format].sectorSize;
}

export { planLayout };
