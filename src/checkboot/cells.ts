// What to boot: artifacts recognised by their CoreOS-style names, expanded to (medium, firmware) cells. Pure.
import { basename, dirname, join } from 'node:path';
import type { Firmware } from '../qemu/args.js';
import { Day0Error } from '../util/errors.js';

export type CellKind = 'iso' | 'pxe-direct' | 'pxe-net' | 'metal' | 'metal4k' | 'qemu';

export interface PxeSet {
  kernel: string;
  initramfs: string;
  rootfs: string;
  ignition?: string;
  ipxe?: string;
}

export interface Cell {
  /** e.g. "iso-bios", "pxe-net", "metal4k-uefi" */
  id: string;
  kind: CellKind;
  firmware: Firmware;
  /** The artifact (for pxe: the kernel). */
  artifact: string;
  pxe?: PxeSet;
}

export interface Skipped {
  artifact: string;
  reason: string;
}

const ARCH_RE = '(x86_64|aarch64|ppc64le|s390x)';

/** Cells for one artifact path; `exists` lets tests run without files. */
export function cellsFor(path: string, firmwares: Firmware[], exists: (p: string) => boolean): { cells: Cell[]; skipped: Skipped[] } {
  const f = basename(path);
  const dir = dirname(path);
  const per = (kind: CellKind, fws: Firmware[]): Cell[] => fws.map((fw) => ({ id: `${kind}-${fw}`, kind, firmware: fw, artifact: path }));
  let m: RegExpExecArray | null;
  if (f.endsWith('.iso')) return { cells: per('iso', firmwares), skipped: [] };
  if ((m = new RegExp(`^(.*)-live-kernel\\.${ARCH_RE}$`).exec(f))) {
    const [, name, arch] = m;
    const pxe: PxeSet = {
      kernel: path,
      initramfs: join(dir, `${name}-live-initramfs.${arch}.img`),
      rootfs: join(dir, `${name}-live-rootfs.${arch}.img`),
    };
    for (const need of [pxe.initramfs, pxe.rootfs]) {
      if (!exists(need)) throw new Day0Error(`PXE kernel ${f} has no ${basename(need)} beside it`, { fix: 'keep the PXE artifacts of one build together in one directory' });
    }
    const ign = join(dir, `${name}-live-ignition.${arch}.img`);
    const ipxe = join(dir, `${name}-live.${arch}.ipxe`);
    if (exists(ign)) pxe.ignition = ign;
    if (exists(ipxe)) pxe.ipxe = ipxe;
    const fw = firmwares.includes('bios') ? 'bios' : firmwares[0] ?? 'bios';
    return { cells: [{ id: 'pxe-direct', kind: 'pxe-direct', firmware: fw, artifact: path, pxe }, { id: 'pxe-net', kind: 'pxe-net', firmware: fw, artifact: path, pxe }], skipped: [] };
  }
  if (new RegExp(`-metal4k\\.${ARCH_RE}\\.raw$`).test(f)) {
    // 4k-native disks boot through UEFI only (as with CoreOS's metal4k).
    return { cells: per('metal4k', ['uefi']), skipped: [] };
  }
  if (new RegExp(`-metal\\.${ARCH_RE}\\.raw$`).test(f)) return { cells: per('metal', firmwares), skipped: [] };
  if (new RegExp(`-qemu\\.${ARCH_RE}\\.qcow2$`).test(f)) return { cells: per('qemu', firmwares.slice(0, 1)), skipped: [] };
  if (/\.(vmdk|vhd)$/.test(f)) return { cells: [], skipped: [{ artifact: path, reason: 'VMware/Azure images need their hypervisor to deliver Ignition; not boot-checked under QEMU' }] };
  if (/-live-(initramfs|rootfs|ignition)\.|\.(ipxe|cfg)$|^SHA256SUMS$|^build\.json$/.test(f)) return { cells: [], skipped: [] };
  throw new Day0Error(`cannot tell what kind of medium ${f} is`, {
    fix: 'pass day0 artifacts by their names: *.iso, *-live-kernel.<arch>, *-metal.<arch>.raw, *-metal4k.<arch>.raw, *-qemu.<arch>.qcow2',
  });
}

export function planCells(paths: string[], firmwares: Firmware[], exists: (p: string) => boolean): { cells: Cell[]; skipped: Skipped[] } {
  const cells: Cell[] = [];
  const skipped: Skipped[] = [];
  for (const p of paths) {
    const r = cellsFor(p, firmwares, exists);
    cells.push(...r.cells);
    skipped.push(...r.skipped);
  }
  const seen = new Set<string>();
  for (const c of cells) {
    const key = `${c.id} ${c.artifact}`;
    if (seen.has(key)) throw new Day0Error(`${basename(c.artifact)} is given twice`, { fix: 'name each artifact once' });
    seen.add(key);
  }
  return { cells, skipped };
}
