// The live ISO's build plan, as data: the ISO tree, the bootloader images to make, the El Torito entries, the
// embed areas and the xorriso invocation, all derived purely from (profile, boot artifacts, options). Unit-tested
// per profile; src/media/iso.ts executes it. (Modelled on osbuild's org.osbuild.xorrisofs stage options.)
import { bootModes, type NamedBootMode } from '../profiles/boot.js';
import type { Profile } from '../profiles/schema.js';
import { CHRP_GRUB_PREFIX, CHRP_PATHS, chrpBootinfo, chrpEmbeddedCfg } from './chrp.js';
import { buildKargsArea } from '../formats/embed-areas.js';
import { CDBOOT_CMDLINE_SIZE, cdbootParmPatches, genericIns, initrdAddrsize, parmfile, planCdboot, S390_ISO_PATHS, S390_PARM, type CdbootLayout } from '../s390x/cdboot.js';
import { grubCfg, grubEfiEmbeddedCfg, igninfoJson, ISO_PATHS, isolinuxCfg, kargsJson, type KargsFile } from './iso-layout.js';

/** Where a file of the ISO tree comes from. */
export type TreeSource =
  /** A file on the host (the kernel, initramfs and rootfs.img of the build). */
  | { kind: 'file'; from: string }
  /** A file inside the builder image (bootloader binaries from Debian packages). */
  | { kind: 'builder-file'; from: string }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'zeros'; size: number }
  /**
   * An IBM Z IPL image (src/s390x/cdboot.ts): the kernel with its parameter area patched (`parm`: offset → bytes),
   * then the initramfs at `layout.initrdOffset`, zeros to `layout.totalSize`.
   */
  | { kind: 'cdboot'; kernel: string; initramfs: string; layout: CdbootLayout; parm: { offset: number; bytes: Buffer }[] }
  /** The output of one of the plan's steps. */
  | { kind: 'step'; id: string };

export interface TreeEntry {
  path: string;
  source: TreeSource;
  mode?: number;
}

/** Bootloader images made before the ISO is assembled, in the builder. */
export type IsoStep =
  | { kind: 'grub-mkimage'; id: string; target: string; modules: string[]; prefix: string; embeddedConfig: string }
  /** A FAT image (mkfs.fat + mtools, nothing mounted) holding step outputs at the given paths. */
  | { kind: 'fat-image'; id: string; label: string; files: { path: string; step: string }[] };

export type ElToritoEntry =
  | { platform: 'bios'; image: string; catalog: string; loadSize: number; bootInfoTable: boolean }
  | { platform: 'efi'; image: string }
  /** IBM Z: the no-emulation image is loaded whole at address 0 (the firmware reads its size from the directory). */
  | { platform: 'ibm-z'; image: string; catalog: string };

export interface IsoPlan {
  volumeLabel: string;
  tree: TreeEntry[];
  steps: IsoStep[];
  elTorito: ElToritoEntry[];
  /** Hybrid (USB stick) layout: isohybrid MBR boot code (BIOS) and/or a GPT/MBR entry for the EFI image. */
  hybrid: { mbr?: string; efiPartition: 'gpt-basdat' | 'appended' | 'none' };
  /** The embed areas coreos-installer reads back. */
  embed: {
    /** The Ignition area: `size` bytes of `file` from `offset` (0 = the whole file). */
    ignition: { file: string; offset: number; size: number };
    kargs: { default: string; size: number; files: KargsFile[] };
  };
  /** xorriso argv with two placeholders: {@link TREE} and {@link OUT}. */
  xorriso: string[];
}

export const TREE = '@TREE@';
export const OUT = '@OUT@';

/** Files of Debian's isolinux/syslinux-common packages in the builder image. */
export const ISOLINUX = {
  bin: '/usr/lib/ISOLINUX/isolinux.bin',
  mbr: '/usr/lib/ISOLINUX/isohdpfx.bin',
  ldlinux: '/usr/lib/syslinux/modules/bios/ldlinux.c32',
} as const;

export interface IsoPlanInput {
  profile: Profile;
  /** Boot artifacts on the host. */
  kernel: string;
  initramfs: string;
  /** The PXE rootfs.img (cpio with root.squashfs first), placed as images/pxeboot/rootfs.img. */
  rootfsCpio: string;
  volumeLabel: string;
  kargs: string;
  ignitionAreaSize: number;
  /** Sizes of the kernel and initramfs files (an IBM Z cdboot.img places the Ignition area after them). */
  sizes?: { kernel: number; initramfs: number };
  /** Extra text files (e.g. coreos/features.json), path → content. */
  extraFiles?: Record<string, string>;
  /** Extra files from the host (e.g. install images), ISO path → file. */
  hostFiles?: Record<string, string>;
}

/** What one boot mode contributes to the ISO. */
interface ModeContribution {
  tree: TreeEntry[];
  steps: IsoStep[];
  elTorito: ElToritoEntry[];
  kargsFile?: KargsFile;
  /** The Ignition area, when this mode carries it (IBM Z: inside cdboot.img) instead of images/ignition.img. */
  ignition?: { file: string; offset: number; length: number };
  mbr?: string;
  efi?: boolean;
}

function contribution(p: Profile, m: NamedBootMode, i: IsoPlanInput): ModeContribution {
  const areaSize = p.live.kargs_area_size;
  switch (m.iso) {
    case 'isolinux': {
      const cfg = isolinuxCfg(p, i.kargs, areaSize);
      return {
        tree: [
          { path: 'isolinux/isolinux.bin', source: { kind: 'builder-file', from: ISOLINUX.bin } },
          { path: 'isolinux/ldlinux.c32', source: { kind: 'builder-file', from: ISOLINUX.ldlinux } },
          { path: ISO_PATHS.isolinuxCfg, source: { kind: 'text', text: cfg.text } },
        ],
        steps: [],
        elTorito: [{ platform: 'bios', image: 'isolinux/isolinux.bin', catalog: 'isolinux/boot.cat', loadSize: 4, bootInfoTable: true }],
        kargsFile: { path: ISO_PATHS.isolinuxCfg, offset: cfg.offset },
        mbr: ISOLINUX.mbr,
      };
    }
    case 'efiboot': {
      const cfg = grubCfg(p, i.kargs, areaSize);
      const bin = `grub-${m.name}`;
      return {
        tree: [
          { path: ISO_PATHS.grubCfg, source: { kind: 'text', text: cfg.text } },
          { path: ISO_PATHS.efiboot, source: { kind: 'step', id: 'efiboot' } },
        ],
        steps: [
          { kind: 'grub-mkimage', id: bin, target: m.grub_target!, modules: m.grub_modules, prefix: '/EFI/BOOT', embeddedConfig: grubEfiEmbeddedCfg(i.volumeLabel) },
          { kind: 'fat-image', id: 'efiboot', label: 'EFIBOOT', files: [{ path: `EFI/BOOT/${m.efi_boot_file!}`, step: bin }] },
        ],
        elTorito: [{ platform: 'efi', image: ISO_PATHS.efiboot }],
        kargsFile: { path: ISO_PATHS.grubCfg, offset: cfg.offset },
        efi: true,
      };
    }
    case 'chrp': {
      // Open Firmware: no El Torito; ppc/bootinfo.txt names the GRUB ELF (src/media/chrp.ts).
      const cfg = grubCfg(p, i.kargs, areaSize);
      const bin = `grub-${m.name}`;
      return {
        tree: [
          { path: CHRP_PATHS.grubCfg, source: { kind: 'text', text: cfg.text } },
          { path: CHRP_PATHS.grubElf, source: { kind: 'step', id: bin } },
          { path: CHRP_PATHS.bootinfo, source: { kind: 'text', text: chrpBootinfo(i.volumeLabel) } },
        ],
        steps: [{ kind: 'grub-mkimage', id: bin, target: m.grub_target!, modules: m.grub_modules, prefix: CHRP_GRUB_PREFIX, embeddedConfig: chrpEmbeddedCfg(i.volumeLabel) }],
        elTorito: [],
        kargsFile: { path: CHRP_PATHS.grubCfg, offset: cfg.offset },
      };
    }
    case 'cdboot': {
      // IBM Z: images/cdboot.img is the El Torito image; the kargs and Ignition areas are inside it.
      if (!i.sizes) throw new Error('an IBM Z ISO plan needs the kernel and initramfs sizes');
      if (areaSize !== CDBOOT_CMDLINE_SIZE) throw new Error(`cdboot.img's command-line area is ${CDBOOT_CMDLINE_SIZE} bytes; the profile's kargs_area_size is ${areaSize}`);
      const layout = planCdboot({ kernelSize: i.sizes.kernel, initramfsSize: i.sizes.initramfs, ignitionAreaSize: i.ignitionAreaSize });
      const area = { length: areaSize, pad: '\0', end: '\0' };
      const parm = cdbootParmPatches(layout, buildKargsArea(i.kargs, area));
      return {
        tree: [
          { path: S390_ISO_PATHS.cdboot, source: { kind: 'cdboot', kernel: i.kernel, initramfs: i.initramfs, layout, parm } },
          { path: S390_ISO_PATHS.parmfile, source: { kind: 'text', text: parmfile(i.kargs) } },
          { path: S390_ISO_PATHS.addrsize, source: { kind: 'bytes', data: initrdAddrsize(i.sizes.initramfs) } },
          { path: S390_ISO_PATHS.ins, source: { kind: 'text', text: genericIns({ title: `${i.volumeLabel} live ISO (${p.arch})`, kernel: ISO_PATHS.kernel, initrd: ISO_PATHS.initrd, parmfile: S390_ISO_PATHS.parmfile, addrsize: S390_ISO_PATHS.addrsize }) } },
        ],
        steps: [],
        elTorito: [{ platform: 'ibm-z', image: S390_ISO_PATHS.cdboot, catalog: 'images/boot.cat' }],
        kargsFile: { path: S390_ISO_PATHS.cdboot, offset: S390_PARM.commandLine, pad: '\0', end: '\0' },
        ignition: { file: S390_ISO_PATHS.cdboot, offset: layout.ignitionOffset, length: layout.ignitionLength },
      };
    }
    case 'none':
      return { tree: [], steps: [], elTorito: [] };
  }
}

export function planIso(i: IsoPlanInput): IsoPlan {
  const p = i.profile;
  const parts = bootModes(p).map((m) => contribution(p, m, i));
  const kargsFiles = parts.flatMap((c) => (c.kargsFile ? [c.kargsFile] : []));
  // The Ignition area: inside a boot image that carries it (IBM Z), else images/ignition.img, the extra initrd
  // that the bootloader configs load.
  const carried = parts.find((c) => c.ignition)?.ignition;
  const ignition = carried ?? { file: ISO_PATHS.ignition, offset: 0, length: i.ignitionAreaSize };
  const tree: TreeEntry[] = [
    { path: ISO_PATHS.kernel, source: { kind: 'file', from: i.kernel } },
    { path: ISO_PATHS.initrd, source: { kind: 'file', from: i.initramfs } },
    { path: ISO_PATHS.rootfs, source: { kind: 'file', from: i.rootfsCpio } },
    ...(carried ? [] : [{ path: ISO_PATHS.ignition, source: { kind: 'zeros' as const, size: i.ignitionAreaSize } }]),
    { path: ISO_PATHS.igninfo, source: { kind: 'text', text: igninfoJson(carried ?? { file: ISO_PATHS.ignition }) } },
    { path: ISO_PATHS.kargs, source: { kind: 'text', text: kargsJson(i.kargs, p.live.kargs_area_size, kargsFiles) } },
    ...Object.entries(i.extraFiles ?? {}).map(([path, text]) => ({ path, source: { kind: 'text' as const, text } })),
    ...Object.entries(i.hostFiles ?? {}).map(([path, from]) => ({ path, source: { kind: 'file' as const, from } })),
    ...parts.flatMap((c) => c.tree),
  ];
  const steps = parts.flatMap((c) => c.steps);
  const elTorito = parts.flatMap((c) => c.elTorito);
  const mbr = parts.find((c) => c.mbr)?.mbr;
  const efi = parts.some((c) => c.efi);
  // With isohybrid boot code, xorriso marks the EFI image in an invented GPT; without it (UEFI-only platforms)
  // the EFI image is appended as a GPT EFI system partition so the ISO also boots from a USB stick.
  const efiPartition = !efi ? 'none' : mbr ? 'gpt-basdat' : 'appended';
  const hybrid = { ...(mbr ? { mbr } : {}), efiPartition } as IsoPlan['hybrid'];

  const x: string[] = ['xorriso', '-as', 'mkisofs', '-quiet', '-o', OUT, '-V', i.volumeLabel,
    // Level-1 (8.3) names in the primary tree are what coreos-installer looks up; Rock Ridge keeps long names.
    '-iso-level', '1', '-R'];
  let first = true;
  for (const e of elTorito) {
    if (!first) x.push('-eltorito-alt-boot');
    first = false;
    if (e.platform === 'ibm-z') {
      x.push('-b', e.image, '-c', e.catalog, '-no-emul-boot');
    } else if (e.platform === 'bios') {
      x.push('-b', e.image, '-c', e.catalog, '-no-emul-boot', '-boot-load-size', String(e.loadSize));
      if (e.bootInfoTable) x.push('-boot-info-table');
      if (mbr) x.push('-isohybrid-mbr', mbr);
    } else {
      if (!elTorito.some((b) => b.platform !== 'efi')) x.push('-c', 'boot.cat');
      x.push('-e', e.image, '-no-emul-boot');
      if (efiPartition === 'gpt-basdat') x.push('-isohybrid-gpt-basdat');
    }
  }
  if (efiPartition === 'appended') {
    x.push('-append_partition', '2', '0xef', `${TREE}/${ISO_PATHS.efiboot}`, '-appended_part_as_gpt');
  }
  x.push(TREE);
  return {
    volumeLabel: i.volumeLabel,
    tree,
    steps,
    elTorito,
    hybrid,
    embed: {
      ignition: { file: ignition.file, offset: ignition.offset, size: ignition.length },
      kargs: { default: i.kargs, size: p.live.kargs_area_size, files: kargsFiles },
    },
    xorriso: x,
  };
}
