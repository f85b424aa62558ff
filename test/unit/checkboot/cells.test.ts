// What to boot: artifact names → (arch, medium, boot mode) cells from each artifact's platform profile. Pure.
import { describe, expect, it } from 'vitest';
import { artifactArch, planCells } from '../../../src/checkboot/cells.js';
import { bootModes } from '../../../src/profiles/boot.js';
import type { Profile } from '../../../src/profiles/schema.js';
import { ARCHES, EACH_PROFILE, profile } from '../../helpers/profiles.js';

const all = () => true;
/** The profile by the arch in the artifact's name (as checkBoot does), x86_64 for names without one. */
const byName = (path: string): Profile => profile(artifactArch(path, ARCHES) ?? 'x86_64');

describe('check-boot cells (x86_64, as before)', () => {
  it('expands an ISO to one cell per firmware', () => {
    const { cells } = planCells(['/o/x86_64/demo-live.x86_64.iso'], byName, undefined, all);
    expect(cells.map((c) => c.id)).toEqual(['iso-bios', 'iso-uefi']);
    expect(cells.map((c) => [c.arch, c.kind, c.firmware])).toEqual([['x86_64', 'iso', 'bios'], ['x86_64', 'iso', 'uefi']]);
    expect(planCells(['/o/demo-live.x86_64.iso'], byName, 'both', all).cells.map((c) => c.id)).toEqual(['iso-bios', 'iso-uefi']);
    expect(planCells(['/o/demo-live.x86_64.iso'], byName, 'uefi', all).cells.map((c) => c.id)).toEqual(['iso-uefi']);
  });

  it('finds the PXE set beside the kernel and makes a direct and a network cell', () => {
    const present = new Set(['/o/d-live-initramfs.x86_64.img', '/o/d-live-rootfs.x86_64.img', '/o/d-live-ignition.x86_64.img', '/o/d-live.x86_64.ipxe']);
    const { cells } = planCells(['/o/d-live-kernel.x86_64'], byName, undefined, (p) => present.has(p));
    expect(cells.map((c) => c.id)).toEqual(['pxe-direct', 'pxe-net']);
    // both under the first boot mode (BIOS: SeaBIOS + the NIC's iPXE ROM)
    expect(cells.map((c) => c.firmware)).toEqual(['bios', 'bios']);
    expect(cells[0]!.pxe).toEqual({
      kernel: '/o/d-live-kernel.x86_64', initramfs: '/o/d-live-initramfs.x86_64.img', rootfs: '/o/d-live-rootfs.x86_64.img',
      ignition: '/o/d-live-ignition.x86_64.img', ipxe: '/o/d-live.x86_64.ipxe',
    });
  });

  it('picks up the GRUB netboot config beside the kernel', () => {
    const { cells } = planCells(['/o/d-live-kernel.x86_64'], byName, undefined, all);
    expect(cells[0]!.pxe?.grub).toBe('/o/d-live-grub.x86_64.cfg');
  });

  it('--firmware uefi boots both PXE cells under UEFI', () => {
    const { cells } = planCells(['/o/d-live-kernel.x86_64'], byName, 'uefi', all);
    expect(cells.map((c) => [c.id, c.firmware])).toEqual([['pxe-direct', 'uefi'], ['pxe-net', 'uefi']]);
  });

  it('refuses a PXE kernel without its rootfs, naming the missing file', () => {
    expect(() => planCells(['/o/d-live-kernel.x86_64'], byName, 'bios', (p) => p.endsWith('initramfs.x86_64.img'))).toThrow(/d-live-rootfs\.x86_64\.img/);
  });

  it('boots metal4k through UEFI only and metal under each firmware', () => {
    const { cells } = planCells(['/o/d-metal.x86_64.raw', '/o/d-metal4k.x86_64.raw'], byName, undefined, all);
    expect(cells.map((c) => c.id)).toEqual(['metal-bios', 'metal-uefi', 'metal4k-uefi']);
  });

  it('boots a qemu image once, under the first boot mode', () => {
    const { cells } = planCells(['/o/d-qemu.x86_64.qcow2'], byName, undefined, all);
    expect(cells.map((c) => [c.id, c.firmware])).toEqual([['qemu-bios', 'bios']]);
  });

  it('skips vmdk/vhd with a reason and ignores companion files', () => {
    const r = planCells(['/o/d-vmware.x86_64.vmdk', '/o/d-live.x86_64.ipxe', '/o/build.json', '/o/SHA256SUMS', '/o/d-live-grub.x86_64.cfg', '/o/d-live-rootfs.x86_64.img'], byName, 'bios', all);
    expect(r.cells).toEqual([]);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.reason).toMatch(/VMware\/Azure/);
  });

  it('refuses unknown files and duplicates with a fix', () => {
    expect(() => planCells(['/o/random.bin'], byName, 'bios', all)).toThrow(/cannot tell what kind of medium random\.bin is/);
    expect(() => planCells(['/o/a.iso', '/o/a.iso'], byName, 'bios', all)).toThrow(/given twice/);
  });

  it('an unknown --firmware is refused', () => {
    expect(() => planCells(['/o/d-live.x86_64.iso'], byName, 'efi', all)).toThrow(/unknown firmware \/ boot mode "efi"/);
  });
});

describe('check-boot cells (aarch64: UEFI only)', () => {
  it('an aarch64 ISO → only iso-uefi', () => {
    const { cells } = planCells(['/o/aarch64/demo-live.aarch64.iso'], byName, undefined, all);
    expect(cells.map((c) => [c.arch, c.id, c.firmware])).toEqual([['aarch64', 'iso-uefi', 'uefi']]);
  });

  it('metal → metal-uefi; metal4k → metal4k-uefi; qemu → qemu-uefi', () => {
    const { cells } = planCells(['/o/d-metal.aarch64.raw', '/o/d-metal4k.aarch64.raw', '/o/d-qemu.aarch64.qcow2'], byName, undefined, all);
    expect(cells.map((c) => c.id)).toEqual(['metal-uefi', 'metal4k-uefi', 'qemu-uefi']);
  });

  it('PXE: direct and network boot under UEFI; pxe-net is the GRUB-over-TFTP netboot', () => {
    const { cells } = planCells(['/o/d-live-kernel.aarch64'], byName, undefined, all);
    expect(cells.map((c) => [c.id, c.firmware])).toEqual([['pxe-direct', 'uefi'], ['pxe-net', 'uefi']]);
    const a = profile('aarch64');
    const net = bootModes(a).find((m) => m.name === cells[1]!.firmware)!;
    expect(net.netboot).toMatchObject({ kind: 'grub-tftp' });
    expect(cells[1]!.pxe).toMatchObject({
      kernel: '/o/d-live-kernel.aarch64', initramfs: '/o/d-live-initramfs.aarch64.img', rootfs: '/o/d-live-rootfs.aarch64.img',
      ignition: '/o/d-live-ignition.aarch64.img', ipxe: '/o/d-live.aarch64.ipxe', grub: '/o/d-live-grub.aarch64.cfg',
    });
  });

  it('--firmware bios is refused for aarch64 media; bios,uefi keeps uefi', () => {
    expect(() => planCells(['/o/d-live.aarch64.iso'], byName, 'bios', all)).toThrow(/platform aarch64 has none of the boot modes bios/);
    expect(planCells(['/o/d-live.aarch64.iso'], byName, 'bios,uefi', all).cells.map((c) => c.id)).toEqual(['iso-uefi']);
  });
});

describe('check-boot cells of several platforms at once', () => {
  it('one run, cells per arch, the same medium id allowed once per arch', () => {
    const paths = ['/o/x86_64/d-live.x86_64.iso', '/o/aarch64/d-live.aarch64.iso', '/o/x86_64/d-metal4k.x86_64.raw', '/o/aarch64/d-metal4k.aarch64.raw'];
    const { cells } = planCells(paths, byName, undefined, all);
    expect(cells.map((c) => `${c.arch} ${c.id}`)).toEqual(['x86_64 iso-bios', 'x86_64 iso-uefi', 'aarch64 iso-uefi', 'x86_64 metal4k-uefi', 'aarch64 metal4k-uefi']);
  });

  it('the profile of each artifact decides (profileOf is asked per path)', () => {
    const asked: string[] = [];
    planCells(['/o/d-live.aarch64.iso', '/o/d-live.x86_64.iso'], (p) => (asked.push(p), byName(p)), undefined, all);
    expect(asked).toEqual(['/o/d-live.aarch64.iso', '/o/d-live.x86_64.iso']);
  });
});

describe.each(EACH_PROFILE)('%s cells follow the profile boot modes', (arch, p) => {
  const modes = bootModes(p);
  const ofP = () => p;
  const name = (f: string) => `/o/demo-${f}`;

  it('iso: one cell per mode with an El Torito entry', () => {
    expect(planCells([name(`live.${arch}.iso`)], ofP, undefined, all).cells.map((c) => c.firmware)).toEqual(modes.filter((m) => m.iso !== 'none').map((m) => m.name));
  });

  it('metal: modes that boot 512-byte disks; metal4k: those that boot 4096-byte disks', () => {
    expect(planCells([name(`metal.${arch}.raw`)], ofP, undefined, all).cells.map((c) => c.firmware))
      .toEqual(modes.filter((m) => m.disk !== 'none' && (m.sector_sizes as number[]).includes(512)).map((m) => m.name));
    expect(planCells([name(`metal4k.${arch}.raw`)], ofP, undefined, all).cells.map((c) => c.firmware))
      .toEqual(modes.filter((m) => m.disk !== 'none' && (m.sector_sizes as number[]).includes(4096)).map((m) => m.name));
  });

  it('pxe: direct boot under the first mode, network boot under the first mode that has one', () => {
    const { cells } = planCells([`/o/demo-live-kernel.${arch}`], ofP, undefined, all);
    const net = modes.find((m) => m.netboot);
    expect(cells.map((c) => [c.id, c.firmware])).toEqual([['pxe-direct', modes[0]!.name], ...(net ? [['pxe-net', net.name]] : [])]);
  });

  it('artifactArch reads the arch from day0 names only', () => {
    for (const f of [`x-live.${arch}.iso`, `x-live-kernel.${arch}`, `x-metal.${arch}.raw`, `x-metal4k.${arch}.raw`, `x-qemu.${arch}.qcow2`, `x-live-ignition.${arch}.img`, `x-live.${arch}.ipxe`]) {
      expect(artifactArch(`/o/${f}`, ARCHES)).toBe(arch);
    }
    expect(artifactArch('/o/my.iso', ARCHES)).toBeUndefined();
    expect(artifactArch(`/o/${arch}/my.iso`, ARCHES)).toBeUndefined();
  });

  it('cells carry the arch', () => {
    for (const c of planCells([name(`live.${arch}.iso`), name(`qemu.${arch}.qcow2`)], ofP, undefined, all).cells) expect(c.arch).toBe(arch);
  });
});
