// The build plan for disk images: a version-2 osbuild manifest, generated from the platform profile.
//
// Pipelines (one manifest carries every requested format, so shared work is described once):
//   build               the day0 builder image (container-deploy): the buildroot with grub, mtools, qemu-img …
//   tree                the OS container image (container-deploy): the root filesystem, used as is
//   efi-tree            the ESP content, one EFI/BOOT/<efi_boot_file> per EFI boot mode (grub-mkimage) + a grub.cfg
//                       stub (only when the profile has an EFI boot mode)
//   boot-<platform>     the boot partition content: kernel, initramfs, the BLS entry loader/entries/*.conf (kernel
//                       args with ignition.platform.id=<platform>), grub.cfg that boots it and GRUB modules of every
//                       GRUB target (only when a boot mode boots the disk with GRUB), the ignition.firstboot flag and,
//                       for metal with a config, ignition/config.ign (0600)
//   <format> / raw-<format>
//                       truncate → sfdisk → mkfs.fat/ext4/xfs (loopback with start/size in sectors) →
//                       copy trees into the mounted filesystems → the boot modes' bootloader stages
//                       (grub2.inst: boot.img + core.img for BIOS, the core image in the PReP partition for
//                       Open Firmware; EFI modes need none beyond the ESP; zipl.inst for a zipl mode (IBM Z): the
//                       boot record in block 0 and the bootmap on the boot partition, the BLS entry's command line
//                       baked in, with the boot partition mounted at /boot)
//   <format>            for qcow2/vmdk/vhd: org.osbuild.qemu converts raw-<format>
// Pure: same input, same manifest (UUIDs derive from `seed`).
import { createHash } from 'node:crypto';
import { bootModes, modesForSector, type NamedBootMode } from '../profiles/boot.js';
import { primaryConsole } from '../profiles/console.js';
import type { Profile } from '../profiles/schema.js';
import { Day0Error } from '../util/errors.js';
import { BLS_DIR, blsEntryText, bootGrubCfg, efiStubGrubCfg, GRUB_BOOT_MODULES_DIR, GRUB_DIR } from './grub.js';
import { planLayout, type DiskLayout, type PlannedPartition, type SectorSize } from './layout.js';
import type { Device, Input, Manifest, Mount, Pipeline, Stage } from './types.js';

export const DISK_FORMATS = ['metal', 'metal4k', 'qemu', 'vmware', 'azure'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];
export type DiskPlatform = 'metal' | 'qemu' | 'vmware' | 'azure';

export interface FormatInfo {
  platform: DiskPlatform;
  sectorSize: SectorSize;
  /** File extension of the output. */
  ext: 'raw' | 'qcow2' | 'vmdk' | 'vhd';
  /** org.osbuild.qemu format object; undefined = the raw image is the output. */
  convert?: Record<string, unknown>;
}

export const FORMATS: Record<DiskFormat, FormatInfo> = {
  metal: { platform: 'metal', sectorSize: 512, ext: 'raw' },
  metal4k: { platform: 'metal', sectorSize: 4096, ext: 'raw' },
  // Uncompressed qcow2: built to boot, and qemu-img's zlib pass would double the build time.
  qemu: { platform: 'qemu', sectorSize: 512, ext: 'qcow2', convert: { type: 'qcow2', compat: '1.1', compression: false } },
  vmware: { platform: 'vmware', sectorSize: 512, ext: 'vmdk', convert: { type: 'vmdk', subformat: 'streamOptimized', adapter_type: 'lsilogic', compat6: true } },
  // Azure wants a fixed VHD whose virtual size is a whole number of MiB (the layout guarantees that).
  azure: { platform: 'azure', sectorSize: 512, ext: 'vhd', convert: { type: 'vpc', subformat: 'fixed', force_size: true } },
};

/**
 * The disk formats a platform can make: those whose sector size its disk layout takes and one of its boot modes
 * boots from a disk (ppc64le's Open Firmware mode boots 512-byte disks only: no metal4k there).
 */
export function supportedDiskFormats(p: Profile): DiskFormat[] {
  return DISK_FORMATS.filter((f) => {
    const ss = FORMATS[f].sectorSize;
    return (p.disk.sector_sizes as number[]).includes(ss) && modesForSector(p, ss).some((m) => m.disk !== 'none');
  });
}

export function outputFileName(name: string, format: DiskFormat, arch: string): string {
  return `${name}-${format}.${arch}.${FORMATS[format].ext}`;
}

export interface ContainerRef {
  /** Image ID = config digest, "sha256:<64 hex>" (osbuild indexes container sources by it). */
  id: string;
  /** Name to fetch it by: a registry repository, or a name in local containers-storage. */
  name: string;
  /**
   * Manifest digest (registry or containers-storage): the image is an `org.osbuild.skopeo` item, which stock
   * osbuild fetches with skopeo alone. Absent: an `org.osbuild.containers-storage` item (the image must be in the
   * host's storage under `name`; osbuild resolves those through newer podman).
   */
  digest?: string;
  /** Where skopeo copies from: a registry (default) or local containers-storage. */
  transport?: 'docker' | 'containers-storage';
  /** containers-storage graph root (podman info's GraphRoot) when it is not the default. */
  storageLocation?: string;
  tlsVerify?: boolean;
}

/** Every pipeline names its runner: a minimal one that needs nothing of the buildroot (the builder is Debian). */
export const RUNNER = 'org.osbuild.linux';

export interface DiskPlanInput {
  profile: Profile;
  /** Output base name: `<name>-<format>.<arch>.<ext>`. */
  name: string;
  formats: DiskFormat[];
  /** Override the formats' sector size (512 for all but metal4k). */
  sectorSize?: SectorSize;
  diskSizeMib?: number;
  kargAppend?: string[];
  rootFs?: 'xfs' | 'ext4';
  /** Baked into metal images at /boot/ignition/config.ign (0600). Never for the other platforms. */
  ignition?: Buffer;
  kernel: {
    version: string;
    /** Paths inside the OS tree, e.g. /usr/lib/modules/<v>/vmlinuz. */
    vmlinuz: string;
    initramfs: string;
  };
  osName?: string;
  image: ContainerRef;
  builder: ContainerRef;
  /** Per EFI boot mode's efi_boot_file (e.g. BOOTAA64.EFI): the GRUB EFI image (grub-mkimage); carried inline. */
  efiBinaries: Record<string, Buffer>;
  /** Seed for partition, disk and filesystem UUIDs (random per build; fixed in tests). */
  seed: string;
  generator?: { name: string; version?: string };
}

/** What the executor and buildDiskImages need to know beyond the manifest itself. */
export interface DiskPlan {
  manifest: Manifest;
  /** Per format: the pipeline to export, the file it holds, and the final file name. */
  outputs: { format: DiskFormat; pipeline: string; file: string; fileName: string; layout: DiskLayout; platform: DiskPlatform }[];
}

// ---------------------------------------------------------------------------------------------------------------

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A v4-shaped UUID derived from `seed` and `role`, so a plan is reproducible. */
export function seededUuid(seed: string, role: string): string {
  const b = createHash('sha256').update(`${seed}\0${role}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function fatVolid(seed: string): string {
  return createHash('sha256').update(`${seed}\0esp-volid`).digest('hex').slice(0, 8).toUpperCase();
}

class Inline {
  readonly items: Record<string, { encoding: 'base64'; data: string }> = {};
  add(data: Buffer | string): string {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
    const id = sha256(buf);
    this.items[id] = { encoding: 'base64', data: buf.toString('base64') };
    return id;
  }
}

const treeInput = (pipeline: string): Input => ({ type: 'org.osbuild.tree', origin: 'org.osbuild.pipeline', references: [`name:${pipeline}`] });
const filesInput = (ids: string[]): Input => ({ type: 'org.osbuild.files', origin: 'org.osbuild.source', references: ids });

function loopback(filename: string, ss: SectorSize, part?: PlannedPartition): Device {
  const options: Record<string, unknown> = { filename };
  if (part) Object.assign(options, { start: part.start, size: part.size, lock: true });
  options['sector-size'] = ss;
  return { type: 'org.osbuild.loopback', options };
}

const MOUNT_TYPE: Record<string, string> = { vfat: 'org.osbuild.fat', ext4: 'org.osbuild.ext4', xfs: 'org.osbuild.xfs' };

/** Kernel arguments for a disk image: root by label, the profile's disk and console args, the platform, extras. */
export function diskKargs(profile: Profile, layout: DiskLayout, platform: DiskPlatform, append: string[] = []): string[] {
  const root = layout.partitions.find((p) => p.mountpoint === '/');
  if (!root?.label) throw new Day0Error('the root partition in the profile has no filesystem label', { fix: 'set label = "root" on the partition mounted at /' });
  return [`root=LABEL=${root.label}`, ...profile.kernel.disk_args, ...profile.kernel.args, `ignition.platform.id=${platform}`, ...append];
}

function checkInput(input: DiskPlanInput): void {
  if (input.formats.length === 0) throw new Day0Error('no disk image format requested', { fix: `pick one or more of: ${DISK_FORMATS.join(', ')}` });
  for (const f of input.formats) {
    if (!(DISK_FORMATS as readonly string[]).includes(f)) throw new Day0Error(`unknown disk image format "${f}"`, { fix: `use one of: ${DISK_FORMATS.join(', ')}` });
  }
  const supported = supportedDiskFormats(input.profile);
  for (const f of input.formats) {
    if (input.sectorSize === undefined && !supported.includes(f)) {
      throw new Day0Error(`${input.profile.arch} has no ${f} image: no boot mode of that platform boots ${FORMATS[f].sectorSize}-byte-sector disks`, {
        fix: `its disk formats are: ${supported.join(', ')}`,
      });
    }
  }
  for (const k of input.kargAppend ?? []) {
    if (!k || /\s/.test(k)) throw new Day0Error(`kernel argument ${JSON.stringify(k)} is empty or contains whitespace`, { fix: 'pass one kernel argument per --karg-append' });
  }
  for (const ref of [input.image, input.builder]) {
    if (!/^sha256:[0-9a-f]{64}$/.test(ref.id)) throw new Error(`container image id must be sha256:<64 hex>, got ${ref.id}`);
  }
  for (const m of efiModes(input.profile)) {
    if (!input.efiBinaries[m.efi_boot_file!]) throw new Error(`no GRUB EFI image given for ${m.efi_boot_file} (boot mode ${m.name})`);
  }
}

const efiModes = (p: Profile): NamedBootMode[] => bootModes(p).filter((m) => m.disk === 'grub2-efi');
/** Modes whose GRUB is a core image written outside any filesystem (BIOS boot partition, PReP partition). */
const CORE_IMAGE_ROLE = { 'grub2-bios': 'bios-boot', 'grub2-prep': 'prep' } as const;

/** Sources collected while pipelines are built; they end up in the manifest's `sources`. */
class Sources {
  readonly inline = new Inline();
  readonly skopeo: Record<string, unknown> = {};
  readonly storage: Record<string, unknown> = {};

  /** A container-deploy stage for a container image, from a registry (skopeo) or local containers-storage. */
  container(ref: ContainerRef): Stage {
    if (ref.digest) {
      this.skopeo[ref.id] = { image: skopeoImage(ref) };
      return {
        type: 'org.osbuild.container-deploy',
        inputs: { images: { type: 'org.osbuild.containers', origin: 'org.osbuild.source', references: { [ref.id]: { name: ref.name } } } },
      };
    }
    this.storage[ref.id] = {};
    return {
      type: 'org.osbuild.container-deploy',
      inputs: { images: { type: 'org.osbuild.containers-storage', origin: 'org.osbuild.source', references: { [ref.id]: { name: ref.name } } } },
    };
  }

  toManifest(): Manifest['sources'] {
    const out: Manifest['sources'] = {};
    if (Object.keys(this.skopeo).length) out['org.osbuild.skopeo'] = { items: this.skopeo };
    if (Object.keys(this.storage).length) out['org.osbuild.containers-storage'] = { items: this.storage };
    out['org.osbuild.inline'] = { items: this.inline.items };
    return out;
  }
}

const BUILD = 'name:build';

/** The `image` of an org.osbuild.skopeo item: only options that differ from skopeo's defaults are written. */
function skopeoImage(ref: ContainerRef): Record<string, unknown> {
  return {
    name: ref.name,
    digest: ref.digest,
    ...(ref.tlsVerify === false ? { 'tls-verify': false } : {}),
    ...(ref.transport === 'containers-storage' ? { 'containers-transport': 'containers-storage' } : {}),
    ...(ref.transport === 'containers-storage' && ref.storageLocation ? { 'storage-location': ref.storageLocation } : {}),
  };
}

/** The ESP content: one GRUB EFI image per EFI boot mode and a grub.cfg stub that hands over to `boot`. */
function espPipeline(input: DiskPlanInput, src: Sources): Pipeline | undefined {
  const modes = efiModes(input.profile);
  if (modes.length === 0) return undefined;
  const stubId = src.inline.add(efiStubGrubCfg());
  const bins = modes.map((m) => ({ file: m.efi_boot_file!, id: src.inline.add(input.efiBinaries[m.efi_boot_file!]!) }));
  return {
    name: 'efi-tree',
    build: BUILD,
    stages: [
      { type: 'org.osbuild.mkdir', options: { paths: [{ path: 'tree:///EFI/BOOT', parents: true }] } },
      {
        type: 'org.osbuild.copy',
        inputs: { files: filesInput([...bins.map((b) => b.id), stubId]) },
        options: { paths: [
          ...bins.map((b) => ({ from: `input://files/${b.id}`, to: `tree:///EFI/BOOT/${b.file}` })),
          { from: `input://files/${stubId}`, to: 'tree:///EFI/BOOT/grub.cfg' },
        ] },
      },
    ],
  };
}

/** Modes whose GRUB loads modules from the boot partition at boot: every GRUB mode (BIOS, PReP, EFI). */
const grubTargets = (p: Profile): string[] => [...new Set(bootModes(p).filter((m) => m.grub_target && m.disk !== 'none').map((m) => m.grub_target!))];

/** The BLS entry's file name on the boot partition (one entry: the image's kernel). */
export const blsEntryFile = (kernelVersion: string): string => `${BLS_DIR}/day0-${kernelVersion}.conf`;

/**
 * The boot partition content for one platform (metal, qemu, …): kernel, initramfs, the BLS entry (kernel args
 * with ignition.platform.id=<platform>), grub.cfg that boots the entries, GRUB's modules for each GRUB target.
 */
function bootPipeline(input: DiskPlanInput, platform: DiskPlatform, labels: DiskLayout, src: Sources): Pipeline {
  const { profile } = input;
  const kv = input.kernel.version;
  const vmlinuz = `vmlinuz-${kv}`;
  const initramfs = `initramfs-${kv}.img`;
  const cfgId = src.inline.add(bootGrubCfg({ console: primaryConsole(profile.console.devices) }));
  const entryId = src.inline.add(blsEntryText({
    title: `${input.osName ?? 'day0'} (${kv})`,
    version: kv,
    linux: `/${vmlinuz}`,
    initrd: [`/${initramfs}`],
    options: diskKargs(profile, labels, platform, input.kargAppend),
  }));
  const targets = grubTargets(profile);
  // A platform whose disk boot modes have no GRUB (zipl reads the BLS entry at build time) gets no grub.cfg.
  const grub = bootModes(profile).some((m) => m.disk.startsWith('grub2-'));
  const dirs: { path: string; mode?: number; parents?: boolean }[] = [...(grub ? [{ path: `tree://${GRUB_DIR}` }] : []), { path: `tree://${BLS_DIR}`, parents: true }];
  for (const t of targets) dirs.push({ path: `tree://${GRUB_DIR}/${t}` });
  const ign = platform === 'metal' && input.ignition ? src.inline.add(input.ignition) : undefined;
  if (ign) dirs.push({ path: 'tree:///ignition', mode: 0o700 });
  const stages: Stage[] = [
    { type: 'org.osbuild.mkdir', options: { paths: dirs } },
    {
      type: 'org.osbuild.copy',
      inputs: { tree: treeInput('tree') },
      options: { paths: [
        { from: `input://tree${input.kernel.vmlinuz}`, to: `tree:///${vmlinuz}` },
        { from: `input://tree${input.kernel.initramfs}`, to: `tree:///${initramfs}` },
      ] },
    },
  ];
  // GRUB loads its modules (the linux loader among them, after reading the entries) from the boot partition; the
  // builder's copy of each target's directory has no autoload entries for linux/initrd (see grub.ts).
  for (const t of targets) {
    stages.push({
      type: 'org.osbuild.copy',
      inputs: { build: treeInput('build') },
      options: { paths: [{ from: `input://build${GRUB_BOOT_MODULES_DIR}/${t}/`, to: `tree://${GRUB_DIR}/${t}/` }] },
    });
  }
  const files = [...(grub ? [cfgId] : []), entryId, ...(ign ? [ign] : [])];
  stages.push({
    type: 'org.osbuild.copy',
    inputs: { files: filesInput(files) },
    options: { paths: [
      ...(grub ? [{ from: `input://files/${cfgId}`, to: `tree://${GRUB_DIR}/grub.cfg` }] : []),
      { from: `input://files/${entryId}`, to: `tree://${blsEntryFile(kv)}` },
      ...(ign ? [{ from: `input://files/${ign}`, to: 'tree:///ignition/config.ign' }] : []),
    ] },
  });
  if (ign) stages.push({ type: 'org.osbuild.chmod', options: { items: { '/ignition/config.ign': { mode: '0600' } } } });
  // The first-boot flag: GRUB sets $ignition_firstboot while it exists (zipl.inst bakes ignition.firstboot in if so).
  stages.push({ type: 'org.osbuild.ignition', options: { target: 'tree:///' } });
  return { name: `boot-${platform}`, build: BUILD, stages };
}

/** mkfs stage for one partition. */
function mkfsStage(p: PlannedPartition, rawFile: string, ss: SectorSize, seed: string): Stage {
  const devices = { device: loopback(rawFile, ss, p) };
  const fsUuid = seededUuid(seed, `fs:${p.name}`);
  const label = p.label ? { label: p.label } : {};
  if (p.filesystem === 'vfat') return { type: 'org.osbuild.mkfs.fat', devices, options: { volid: fatVolid(seed), ...label } };
  if (p.filesystem === 'ext4') return { type: 'org.osbuild.mkfs.ext4', devices, options: { uuid: fsUuid, ...label, metadata_csum_seed: false, orphan_file: false } };
  return { type: 'org.osbuild.mkfs.xfs', devices, options: { uuid: fsUuid, ...label } };
}

/** The bootloader stages the profile's boot modes need on a disk (after the filesystems are filled). */
function bootloaderStages(profile: Profile, layout: DiskLayout, rawFile: string, ss: SectorSize, kernelVersion: string): Stage[] {
  const stages: Stage[] = [];
  const bootIdx = layout.partitions.findIndex((p) => p.mountpoint === '/boot');
  let zipl = false;
  for (const m of bootModes(profile)) {
    if (!(m.sector_sizes as number[]).includes(ss)) continue;
    if (m.disk === 'grub2-bios' || m.disk === 'grub2-prep') {
      // grub2.inst: BIOS = boot.img in the MBR + core.img in the BIOS boot partition; PReP = the core image alone in
      // the PReP partition, which Open Firmware loads and runs (osbuild's stage covers both through `platform`).
      const corePart = layout.partitions.find((p) => p.role === CORE_IMAGE_ROLE[m.disk as keyof typeof CORE_IMAGE_ROLE]);
      if (!corePart || bootIdx < 0) continue;
      stages.push({
        type: 'org.osbuild.grub2.inst',
        options: {
          filename: rawFile,
          platform: m.grub_target!,
          location: corePart.start,
          core: { type: 'mkimage', partlabel: 'gpt', filesystem: 'ext4', binary: 'grub-mkimage' },
          prefix: { type: 'partition', partlabel: 'gpt', number: bootIdx, path: GRUB_DIR },
          'sector-size': ss,
        },
      });
    }
    if (m.disk === 'zipl' && !zipl) {
      // zipl.inst: zipl reads the BLS entry for the kernel on the mounted boot partition, writes the bootmap (kernel,
      // initramfs and command line) there and the boot record into block 0 of the whole disk (`disk`), which
      // names the boot partition's start (`location`, in `blocksize` units). One record per disk.
      const boot = layout.partitions[bootIdx];
      if (!boot?.filesystem) continue;
      zipl = true;
      stages.push({
        type: 'org.osbuild.zipl.inst',
        devices: { disk: loopback(rawFile, ss), 'dev-boot': loopback(rawFile, ss, boot) },
        mounts: [{ name: 'boot', type: MOUNT_TYPE[boot.filesystem]!, source: 'dev-boot', target: '/boot' }],
        options: { kernel: kernelVersion, location: boot.start, blocksize: ss },
      });
    }
    // grub2-efi: the ESP's EFI/BOOT/<file> (copied with the filesystems) is all the firmware needs.
  }
  return stages;
}

/** One raw disk: truncate → sfdisk → mkfs per partition → copy trees in → bootloader stages. */
function diskPipeline(input: DiskPlanInput, format: DiskFormat, layout: DiskLayout, rawName: string, rawFile: string, hasEsp: boolean): Pipeline {
  const fi = FORMATS[format];
  const ss = layout.sectorSize;
  const seed = `${input.seed}:${ss}`;
  const stages: Stage[] = [
    { type: 'org.osbuild.truncate', options: { filename: rawFile, size: String(layout.sizeBytes) } },
    {
      type: 'org.osbuild.sfdisk',
      devices: { device: loopback(rawFile, ss) },
      options: {
        label: 'gpt',
        uuid: seededUuid(seed, `disk:${format}`),
        partitions: layout.partitions.map((p) => ({ start: p.start, size: p.size, type: p.type, name: p.name, uuid: seededUuid(input.seed, `part:${p.name}`) })),
      },
    },
  ];
  const copies: Stage[] = [];
  for (const p of layout.partitions) {
    if (!p.filesystem) continue;
    // Filesystem UUIDs are shared by all formats of one sector size: the same filesystem in each.
    stages.push(mkfsStage(p, rawFile, ss, seed));
    const source = p.mountpoint === '/' ? 'tree'
      : p.role === 'esp' ? (hasEsp ? 'efi-tree' : undefined)
      : p.mountpoint === '/boot' ? `boot-${fi.platform}` : undefined;
    if (!source) continue;
    const dev = `dev-${p.name.toLowerCase()}`;
    const mount: Mount = { name: p.name, type: MOUNT_TYPE[p.filesystem]!, source: dev, target: p.mountpoint ?? `/${p.name}` };
    copies.push({
      type: 'org.osbuild.copy',
      inputs: { tree: treeInput(source) },
      devices: { [dev]: loopback(rawFile, ss, p) },
      mounts: [mount],
      options: { paths: [{ from: 'input://tree/', to: `mount://${p.name}/` }] },
    });
  }
  stages.push(...copies, ...bootloaderStages(input.profile, layout, rawFile, ss, input.kernel.version));
  return { name: rawName, build: BUILD, stages };
}

function convertPipeline(format: DiskFormat, rawName: string, rawFile: string, fileName: string): Pipeline {
  return {
    name: format,
    build: BUILD,
    stages: [{
      type: 'org.osbuild.qemu',
      inputs: { image: { type: 'org.osbuild.files', origin: 'org.osbuild.pipeline', references: { [`name:${rawName}`]: { file: rawFile } } } },
      options: { filename: fileName, format: FORMATS[format].convert },
    }],
  };
}

export function generateDiskManifest(input: DiskPlanInput): DiskPlan {
  checkInput(input);
  const { profile } = input;
  const formats = [...new Set(input.formats)];
  const platforms = [...new Set(formats.map((f) => FORMATS[f].platform))];
  const diskSizeMib = input.diskSizeMib ?? profile.disk.default_size_mib;
  const rootFs = input.rootFs ? { rootFs: input.rootFs } : {};
  const src = new Sources();

  const pipelines: Pipeline[] = [
    { name: 'build', stages: [src.container(input.builder)] },
    { name: 'tree', build: BUILD, stages: [src.container(input.image)] },
  ];
  const esp = espPipeline(input, src);
  if (esp) pipelines.push(esp);
  // Kernel args only need the labels: any sector size's layout has them.
  const labels = planLayout(profile, { sectorSize: profile.disk.sector_sizes[0]!, diskSizeMib, ...rootFs });
  for (const platform of platforms) pipelines.push(bootPipeline(input, platform, labels, src));

  const outputs: DiskPlan['outputs'] = [];
  for (const format of formats) {
    const fi = FORMATS[format];
    const layout = planLayout(profile, { sectorSize: input.sectorSize ?? fi.sectorSize, diskSizeMib, ...rootFs });
    const fileName = outputFileName(input.name, format, profile.arch);
    const rawName = fi.convert ? `raw-${format}` : format;
    const rawFile = fi.convert ? 'disk.raw' : fileName;
    pipelines.push(diskPipeline(input, format, layout, rawName, rawFile, Boolean(esp)));
    if (fi.convert) pipelines.push(convertPipeline(format, rawName, rawFile, fileName));
    outputs.push({ format, pipeline: format, file: fileName, fileName, layout, platform: fi.platform });
  }

  for (const p of pipelines) p.runner = RUNNER;
  const manifest: Manifest = { version: '2', pipelines, sources: src.toManifest(), metadata: { generators: [input.generator ?? { name: 'day0' }] } };
  return { manifest, outputs };
}
