import { describe, expect, it } from 'vitest';
import { planCells } from '../../../src/checkboot/cells.js';

const all = () => true;

describe('check-boot cells', () => {
  it('expands an ISO to one cell per firmware', () => {
    const { cells } = planCells(['/o/x86_64/demo-live.x86_64.iso'], ['bios', 'uefi'], all);
    expect(cells.map((c) => c.id)).toEqual(['iso-bios', 'iso-uefi']);
  });

  it('finds the PXE set beside the kernel and makes a direct and a network cell', () => {
    const present = new Set(['/o/d-live-initramfs.x86_64.img', '/o/d-live-rootfs.x86_64.img', '/o/d-live-ignition.x86_64.img', '/o/d-live.x86_64.ipxe']);
    const { cells } = planCells(['/o/d-live-kernel.x86_64'], ['bios', 'uefi'], (p) => present.has(p));
    expect(cells.map((c) => c.id)).toEqual(['pxe-direct', 'pxe-net']);
    expect(cells[0]!.pxe).toEqual({
      kernel: '/o/d-live-kernel.x86_64', initramfs: '/o/d-live-initramfs.x86_64.img', rootfs: '/o/d-live-rootfs.x86_64.img',
      ignition: '/o/d-live-ignition.x86_64.img', ipxe: '/o/d-live.x86_64.ipxe',
    });
  });

  it('refuses a PXE kernel without its rootfs, naming the missing file', () => {
    expect(() => planCells(['/o/d-live-kernel.x86_64'], ['bios'], (p) => p.endsWith('initramfs.x86_64.img'))).toThrow(/d-live-rootfs\.x86_64\.img/);
  });

  it('boots metal4k through UEFI only and metal under each firmware', () => {
    const { cells } = planCells(['/o/d-metal.x86_64.raw', '/o/d-metal4k.x86_64.raw'], ['bios', 'uefi'], all);
    expect(cells.map((c) => c.id)).toEqual(['metal-bios', 'metal-uefi', 'metal4k-uefi']);
  });

  it('skips vmdk/vhd with a reason and ignores companion files', () => {
    const r = planCells(['/o/d-vmware.x86_64.vmdk', '/o/d-live.x86_64.ipxe', '/o/build.json'], ['bios'], all);
    expect(r.cells).toEqual([]);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.reason).toMatch(/VMware\/Azure/);
  });

  it('refuses unknown files and duplicates with a fix', () => {
    expect(() => planCells(['/o/random.bin'], ['bios'], all)).toThrow(/cannot tell what kind of medium random\.bin is/);
    expect(() => planCells(['/o/a.iso', '/o/a.iso'], ['bios'], all)).toThrow(/given twice/);
  });
});
