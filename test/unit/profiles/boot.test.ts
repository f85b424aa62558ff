// Typed questions about a profile's boot modes, and --firmware semantics (src/profiles/boot.ts), over every profile.
import { describe, expect, it } from 'vitest';
import { bootMode, bootModes, firstMode, modeNames, modesForSector, netbootMode, selectModes } from '../../../src/profiles/boot.js';
import { BOOT_MODES } from '../../../src/profiles/schema.js';
import { Day0Error } from '../../../src/util/errors.js';
import { EACH_PROFILE, profile } from '../../helpers/profiles.js';

describe.each(EACH_PROFILE)('%s boot modes', (arch, p) => {
  it('are the [boot.<mode>] tables in file order, named', () => {
    expect(modeNames(p)).toEqual(Object.keys(p.boot));
    expect(bootModes(p).map((m) => m.name)).toEqual(Object.keys(p.boot));
    for (const m of bootModes(p)) expect(m).toMatchObject(p.boot[m.name]!);
    expect(firstMode(p).name).toBe(Object.keys(p.boot)[0]);
  });

  it('bootMode finds each and refuses one the profile lacks, listing its modes', () => {
    for (const n of modeNames(p)) expect(bootMode(p, n).name).toBe(n);
    const missing = BOOT_MODES.find((n) => !(n in p.boot))!;
    expect(() => bootMode(p, missing)).toThrow(Day0Error);
    expect(() => bootMode(p, missing)).toThrow(new RegExp(`${arch} has no ${missing} boot mode`));
    try {
      bootMode(p, missing);
    } catch (e) {
      for (const n of modeNames(p)) expect((e as Day0Error).fix).toContain(n);
    }
  });

  it('--firmware all / both / unset = every mode of the profile', () => {
    expect(selectModes(p, undefined)).toEqual(modeNames(p));
    expect(selectModes(p, 'all')).toEqual(modeNames(p));
    expect(selectModes(p, 'both')).toEqual(modeNames(p));
  });

  it('--firmware LIST keeps the profile order and drops modes the profile lacks, as long as one is left', () => {
    expect(selectModes(p, BOOT_MODES.join(','))).toEqual(modeNames(p));
    expect(selectModes(p, [...BOOT_MODES].reverse().join(' , '))).toEqual(modeNames(p));
    for (const n of modeNames(p)) expect(selectModes(p, n)).toEqual([n]);
  });

  it('--firmware naming only modes the profile lacks is refused, naming its modes', () => {
    const missing = BOOT_MODES.filter((n) => !(n in p.boot));
    expect(missing.length).toBeGreaterThan(0);
    expect(() => selectModes(p, missing.join(','))).toThrow(new RegExp(`platform ${arch} has none of the boot modes ${missing.join(', ')}`));
  });

  it('an unknown boot mode name is refused', () => {
    expect(() => selectModes(p, 'efi')).toThrow(/unknown firmware \/ boot mode "efi"/);
    expect(() => selectModes(p, `${modeNames(p)[0]},bogus`)).toThrow(/"bogus"/);
  });

  it('modesForSector: the modes whose sector_sizes allow it', () => {
    for (const ss of [512, 4096]) {
      expect(modesForSector(p, ss).map((m) => m.name)).toEqual(bootModes(p).filter((m) => (m.sector_sizes as number[]).includes(ss)).map((m) => m.name));
    }
  });

  it('netbootMode: the first mode with a network boot', () => {
    expect(netbootMode(p)?.name).toBe(bootModes(p).find((m) => m.netboot)?.name);
  });
});

describe('per platform', () => {
  it('x86_64: bios then uefi; 4k disks through uefi only; network boot first under bios (iPXE ROM)', () => {
    const p = profile('x86_64');
    expect(modeNames(p)).toEqual(['bios', 'uefi']);
    expect(firstMode(p).name).toBe('bios');
    expect(modesForSector(p, 512).map((m) => m.name)).toEqual(['bios', 'uefi']);
    expect(modesForSector(p, 4096).map((m) => m.name)).toEqual(['uefi']);
    expect(netbootMode(p)?.name).toBe('bios');
    expect(netbootMode(p)?.netboot?.kind).toBe('ipxe-rom');
    expect(selectModes(p, 'bios')).toEqual(['bios']);
    expect(selectModes(p, 'uefi')).toEqual(['uefi']);
    expect(selectModes(p, 'uefi,bios')).toEqual(['bios', 'uefi']);
  });

  it('aarch64: uefi only; --firmware bios is refused, bios,uefi means uefi; netboot through GRUB over TFTP', () => {
    const p = profile('aarch64');
    expect(modeNames(p)).toEqual(['uefi']);
    expect(firstMode(p).name).toBe('uefi');
    expect(modesForSector(p, 4096).map((m) => m.name)).toEqual(['uefi']);
    expect(() => selectModes(p, 'bios')).toThrow(/platform aarch64 has none of the boot modes bios/);
    expect(selectModes(p, 'bios,uefi')).toEqual(['uefi']);
    expect(netbootMode(p)?.netboot).toEqual({ kind: 'grub-tftp', device: 'virtio-net-pci', grub_file: 'grubaa64.efi', grub_modules: ['net', 'efinet', 'tftp', 'http'] });
  });

  it('ppc64le: Open Firmware only (ieee1275), 512-byte disks, no network boot check (see profiles/ppc64le.toml)', () => {
    const p = profile('ppc64le');
    expect(modeNames(p)).toEqual(['ieee1275']);
    expect(firstMode(p)).toMatchObject({ name: 'ieee1275', iso: 'chrp', disk: 'grub2-prep', grub_target: 'powerpc-ieee1275' });
    expect(modesForSector(p, 4096)).toEqual([]);
    expect(() => selectModes(p, 'uefi')).toThrow(/platform ppc64le has none of the boot modes uefi/);
    expect(selectModes(p, 'all')).toEqual(['ieee1275']);
    expect(netbootMode(p)).toBeUndefined();
  });
});
