// What to boot: artifacts recognised by their CoreOS-style names (which carry the arch), expanded to
// (arch, medium, boot mode) cells from the platform profile's boot modes. Pure.
import { basename, dirname, join } from 'node:path';
import { bootModes, netbootMode, selectModes, type NamedBootMode } from '../profiles/boot.js';
import type { Profile } from '../profiles/schema.js';
import type { Firmware } from '../qemu/args.js';
import { Day0Error } from '../util/errors.js';

export type CellKind = 'iso' | 'pxe-direct' | 'pxe-net' | 'metal' | 'metal4k' | 'qemu' | 'iso-install' | 'metal4k-install' | 'pxe-install';

/** What an install ISO installs (read from it before planning: src/checkboot/install.ts). */
export interface InstallFacts {
  destDevice: string;
  images: { sectorSize: 512 | 4096; bytes: number }[];
  /** A PXE install: the image and destination config its coreos.inst.* URLs name, as files beside the kernel. */
  pxe?: { imageFile: string; ignitionFile?: string };
}

export interface PxeSet {
  kernel: string;
  initramfs: string;
  rootfs: string;
  ignition?: string;
  ipxe?: string;
  grub?: string;
  /** IBM Z parmfile (the kernel arguments z/VM or an LPAR boots with). */
  prm?: string;
}

export interface Cell {
  /** e.g. "iso-bios", "pxe-net", "metal4k-uefi" (unique per arch) */
  id: string;
  arch: string;
  kind: CellKind;
  firmware: Firmware;
  /** The artifact (for pxe: the kernel). */
  artifact: string;
  pxe?: PxeSet;
  /** Install cells: the blank target disk's sector size and size, and the device the ISO installs to. */
  install?: { sectorSize: 512 | 4096; targetBytes: number; destDevice: string; pxe?: { imageFile: string; ignitionFile?: string } };
}

export interface Skipped {
  artifact: string;
  reason: string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The arch an artifact's name carries (NAME-live.<arch>.iso, NAME-metal.<arch>.raw, NAME-live-kernel.<arch> …). */
export function artifactArch(path: string, arches: string[]): string | undefined {
  const f = basename(path);
  for (const a of arches) {
    if (new RegExp(`\\.${esc(a)}(\\.(iso|raw|qcow2|vmdk|vhd|img|ipxe|cfg|prm))?$`).test(f)) return a;
  }
  return undefined;
}

/** Cells for one artifact path of a known platform; `exists` lets tests run without files. */
export function cellsFor(path: string, p: Profile, firmware: string | undefined, exists: (p: string) => boolean, installOf: (p: string) => InstallFacts | undefined = () => undefined): { cells: Cell[]; skipped: Skipped[] } {
  const f = basename(path);
  const dir = dirname(path);
  const arch = p.arch;
  const a = esc(arch);
  const chosen = new Set(selectModes(p, firmware));
  const modes = bootModes(p).filter((m) => chosen.has(m.name));
  const per = (kind: CellKind, ms: NamedBootMode[]): Cell[] => ms.map((m) => ({ id: `${kind}-${m.name}`, arch, kind, firmware: m.name, artifact: path }));
  const first = (ms: NamedBootMode[]) => ms.slice(0, 1);
  let m: RegExpExecArray | null;
  if (f.endsWith('.iso')) {
    const inst = installOf(path);
    if (!inst) return { cells: per('iso', modes.filter((x) => x.iso !== 'none')), skipped: [] };
    // An ISO that installs without asking: booted with a blank target disk, then the target alone. One cell per
    // boot mode that boots both the ISO and a 512-byte disk; metal4k-install: a 4k target, through the first mode
    // that boots 4k disks (UEFI), when the ISO carries the 4k image.
    if (!p.qemu.install_target) return { cells: [], skipped: [{ artifact: path, reason: `install ISO: ${arch} has no install boot check (its profile names no qemu.install_target)` }] };
    const size = (ss: number) => inst.images.find((x) => x.sectorSize === ss);
    const cell = (id: string, m: NamedBootMode, ss: 512 | 4096): Cell => ({
      id, arch, kind: ss === 4096 ? 'metal4k-install' : 'iso-install', firmware: m.name, artifact: path,
      // The target is larger than the image, as a real disk is.
      install: { sectorSize: ss, targetBytes: size(ss)!.bytes + 1024 * 2 ** 20, destDevice: inst.destDevice },
    });
    const both = (ss: number) => modes.filter((x) => x.iso !== 'none' && x.disk !== 'none' && (x.sector_sizes as number[]).includes(ss));
    const cells = size(512) ? both(512).map((m) => cell(`iso-install-${m.name}`, m, 512)) : [];
    const m4k = size(4096) ? both(4096)[0] : undefined;
    if (m4k) cells.push(cell('metal4k-install', m4k, 4096));
    return { cells, skipped: [] };
  }
  if ((m = new RegExp(`^(.*)-live-kernel\\.${a}$`).exec(f))) {
    const name = m[1]!;
    const pxe: PxeSet = {
      kernel: path,
      initramfs: join(dir, `${name}-live-initramfs.${arch}.img`),
      rootfs: join(dir, `${name}-live-rootfs.${arch}.img`),
    };
    for (const need of [pxe.initramfs, pxe.rootfs]) {
      if (!exists(need)) throw new Day0Error(`PXE kernel ${f} has no ${basename(need)} beside it`, { fix: 'keep the PXE artifacts of one build together in one directory' });
    }
    const extra: [keyof PxeSet, string][] = [['ignition', `${name}-live-ignition.${arch}.img`], ['ipxe', `${name}-live.${arch}.ipxe`], ['grub', `${name}-live-grub.${arch}.cfg`], ['prm', `${name}-live.${arch}.prm`]];
    for (const [k, file] of extra) if (exists(join(dir, file))) pxe[k] = join(dir, file);
    const cells: Cell[] = [];
    const direct = first(modes)[0];
    const inst = installOf(path);
    if (inst?.pxe) {
      // A PXE set that installs (coreos.inst.* arguments): booted directly with a blank target, then the target.
      if (!p.qemu.install_target) return { cells: [], skipped: [{ artifact: path, reason: `PXE install: ${arch} has no install boot check (its profile names no qemu.install_target)` }] };
      const img = inst.images[0]!;
      if (direct) cells.push({ id: 'pxe-install', arch, kind: 'pxe-install', firmware: direct.name, artifact: path, pxe, install: { sectorSize: img.sectorSize, targetBytes: img.bytes + 1024 * 2 ** 20, destDevice: inst.destDevice, pxe: inst.pxe } });
      return { cells, skipped: [] };
    }
    if (direct) cells.push({ id: 'pxe-direct', arch, kind: 'pxe-direct', firmware: direct.name, artifact: path, pxe });
    const net = modes.find((x) => x.netboot) ?? (firmware ? undefined : netbootMode(p));
    if (net) cells.push({ id: 'pxe-net', arch, kind: 'pxe-net', firmware: net.name, artifact: path, pxe });
    return { cells, skipped: [] };
  }
  if (new RegExp(`-metal4k\\.${a}\\.raw$`).test(f)) {
    // 4k-native disks boot through the modes that support them (UEFI, as with CoreOS's metal4k).
    return { cells: per('metal4k', modes.filter((x) => x.disk !== 'none' && (x.sector_sizes as number[]).includes(4096))), skipped: [] };
  }
  if (new RegExp(`-metal\\.${a}\\.raw$`).test(f)) return { cells: per('metal', modes.filter((x) => x.disk !== 'none' && (x.sector_sizes as number[]).includes(512))), skipped: [] };
  if (new RegExp(`-qemu\\.${a}\\.qcow2$`).test(f)) return { cells: per('qemu', first(modes.filter((x) => x.disk !== 'none'))), skipped: [] };
  if (/\.(vmdk|vhd)$/.test(f)) return { cells: [], skipped: [{ artifact: path, reason: 'VMware/Azure images need their hypervisor to deliver Ignition; not boot-checked under QEMU' }] };
  if (/-live-(initramfs|rootfs|ignition)\.|\.(ipxe|cfg|prm)$|^SHA256SUMS$|^build\.json$/.test(f)) return { cells: [], skipped: [] };
  throw new Day0Error(`cannot tell what kind of medium ${f} is`, {
    fix: 'pass day0 artifacts by their names: *.iso, *-live-kernel.<arch>, *-metal.<arch>.raw, *-metal4k.<arch>.raw, *-qemu.<arch>.qcow2',
  });
}

export function planCells(paths: string[], profileOf: (path: string) => Profile, firmware: string | undefined, exists: (p: string) => boolean, installOf?: (p: string) => InstallFacts | undefined): { cells: Cell[]; skipped: Skipped[] } {
  const cells: Cell[] = [];
  const skipped: Skipped[] = [];
  for (const p of paths) {
    const r = cellsFor(p, profileOf(p), firmware, exists, installOf);
    cells.push(...r.cells);
    skipped.push(...r.skipped);
  }
  const seen = new Set<string>();
  for (const c of cells) {
    const key = `${c.arch} ${c.id} ${c.artifact}`;
    if (seen.has(key)) throw new Day0Error(`${basename(c.artifact)} is given twice`, { fix: 'name each artifact once' });
    seen.add(key);
  }
  return { cells, skipped };
}
