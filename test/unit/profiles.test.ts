// Platform profiles: profiles/<arch>.toml parsed with @iarna/toml and validated with zod. A typo must fail loudly at
// load time, naming the file and the offending field. Every profile in profiles/ is checked the same way.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootModes } from '../../src/profiles/boot.js';
import { consoleKarg, parseConsole, primaryConsole } from '../../src/profiles/console.js';
import { loadProfile, normalizeArch, parseProfile } from '../../src/profiles/load.js';
import { knownArches } from '../../src/profiles/platforms.js';
import { BOOT_MODES, ProfileSchema } from '../../src/profiles/schema.js';
import { Day0Error } from '../../src/util/errors.js';
import { ARCHES, EACH_PROFILE, PROFILES_DIR } from '../helpers/profiles.js';

const PROFILES = PROFILES_DIR;
let x86Text: string;
let work: string;

beforeAll(async () => {
  x86Text = await readFile(join(PROFILES, 'x86_64.toml'), 'utf8');
  work = await mkdtemp(join(tmpdir(), 'day0-profiles-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The error thrown by `fn` (fails the test when nothing is thrown). */
function thrown(fn: () => unknown): Day0Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Day0Error);
    return err as Day0Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** x86_64.toml with one textual replacement (asserting the original text was there). */
function edited(from: string | RegExp, to: string): string {
  const out = x86Text.replace(from, to);
  expect(out, `edit ${String(from)} must change the profile text`).not.toBe(x86Text);
  return out;
}

describe('profiles/x86_64.toml', () => {
  it('loads and validates with the facts later features rely on', async () => {
    const p = await loadProfile('x86_64', PROFILES);
    expect(p.arch).toBe('x86_64');
    expect(p.oci_arch).toBe('amd64');
    expect(p.deb_arch).toBe('amd64');
    expect(p.node_arch).toBe('x64');
    expect(p.aliases).toContain('amd64');
    expect(p.qemu.binary).toBe('qemu-system-x86_64');
    expect(p.qemu.machine).toBe('q35');
    expect(p.console.devices).toEqual(['ttyS0,115200n8']);
    expect(primaryConsole(p.console.devices).device).toBe('ttyS0');
    expect(p.qemu.ignition).toBe('fw_cfg');
    expect(p.qemu.kvm_probe).toBe('x86-boot-sector');
    expect(p.qemu.cdrom).toEqual({ device: 'ide-cd' });
    expect(p.kernel.args).toContain('console=ttyS0,115200n8');
    expect(p.kernel.live_args).toContain('ignition.firstboot');
    // BIOS first (it boots PXE and qemu images), then UEFI
    expect(Object.keys(p.boot)).toEqual(['bios', 'uefi']);
    expect(p.boot.bios?.firmware).toMatchObject({ kind: 'seabios', load: 'bios', code: '/usr/share/seabios/bios-256k.bin', serial_port: 0x3f8 });
    expect(p.boot.bios).toMatchObject({ grub_target: 'i386-pc', iso: 'isolinux', disk: 'grub2-bios', sector_sizes: [512] });
    expect(p.boot.uefi?.firmware).toMatchObject({ kind: 'ovmf', load: 'pflash', code: '/usr/share/OVMF/OVMF_CODE_4M.fd' });
    expect(p.boot.uefi?.firmware.vars).toMatch(/^\//);
    expect(p.boot.uefi).toMatchObject({ grub_target: 'x86_64-efi', efi_boot_file: 'BOOTX64.EFI', iso: 'efiboot', disk: 'grub2-efi', sector_sizes: [512, 4096] });
    expect(p.boot.bios?.netboot).toEqual({ kind: 'ipxe-rom', device: 'e1000', rom: '/usr/lib/ipxe/qemu/pxe-e1000.rom' });
    expect(p.boot.uefi?.netboot).toEqual({ kind: 'ipxe-rom', device: 'e1000', rom: '/usr/lib/ipxe/qemu/efi-e1000.rom' });
    expect(p.builder.packages.length).toBeGreaterThan(0);
    expect(p.builder.packages).toEqual(expect.arrayContaining(['grub-pc-bin', 'grub-efi-amd64-bin', 'isolinux']));
    expect(p.disk.sector_sizes).toEqual([512, 4096]);
    // exactly one partition takes the rest of the disk and it is the root
    const rest = p.disk.partitions.filter((x) => x.size_mib === 0);
    expect(rest).toHaveLength(1);
    expect(rest[0]?.mountpoint).toBe('/');
    expect(p.disk.partitions.map((x) => x.name)).toEqual(['BIOS-BOOT', 'EFI-SYSTEM', 'boot', 'root']);
    expect(p.disk.partitions.map((x) => x.role ?? null)).toEqual(['bios-boot', 'esp', null, null]);
    expect(p.live.ignition_area_size % 512).toBe(0);
  });

  it('loads through an alias (amd64)', async () => {
    const p = await loadProfile('amd64', PROFILES);
    expect(p.arch).toBe('x86_64');
  });

  it('parseProfile and the schema agree', () => {
    const p = parseProfile(x86Text, 'x86_64.toml');
    expect(ProfileSchema.safeParse(p).success).toBe(true);
  });
});

describe('profiles/aarch64.toml', () => {
  it('is UEFI only, on the virt machine, with a PL011 console and no BIOS boot partition', async () => {
    const p = await loadProfile('aarch64', PROFILES);
    expect(p.arch).toBe('aarch64');
    expect(p.oci_arch).toBe('arm64');
    expect(p.oci_variant).toBe('v8');
    expect(p.node_arch).toBe('arm64');
    expect(p.qemu.binary).toBe('qemu-system-aarch64');
    expect(p.qemu.machine).toMatch(/^virt\b/);
    expect(p.qemu.cpu_tcg).toBe('cortex-a57');
    expect(p.qemu.cdrom).toEqual({ controller: 'virtio-scsi-pci', device: 'scsi-cd' });
    expect(p.qemu.kvm_probe).toBeUndefined();
    expect(Object.keys(p.boot)).toEqual(['uefi']);
    expect(p.boot.uefi?.firmware).toMatchObject({ kind: 'aavmf', load: 'pflash' });
    expect(p.boot.uefi?.firmware.code).toMatch(/AAVMF/);
    expect(p.boot.uefi?.firmware.vars).toMatch(/AAVMF/);
    expect(p.boot.uefi).toMatchObject({ grub_target: 'arm64-efi', efi_boot_file: 'BOOTAA64.EFI', iso: 'efiboot', disk: 'grub2-efi' });
    expect(p.boot.uefi?.netboot).toMatchObject({ kind: 'grub-tftp' });
    expect(p.console.devices.map((d) => parseConsole(d).kind)).toEqual(['pl011']);
    expect(p.disk.partitions.map((x) => x.name)).toEqual(['EFI-SYSTEM', 'boot', 'root']);
    expect(p.disk.partitions.some((x) => x.role === 'bios-boot')).toBe(false);
    expect(p.builder.foreign_packages).toContain('grub-efi-arm64-bin:arm64');
  });
});

describe('every profile in profiles/', () => {
  it('knownArches() lists exactly the profile files', async () => {
    const files = (await readdir(PROFILES)).filter((f) => f.endsWith('.toml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(knownArches(PROFILES)).toEqual(files.map((f) => f.replace(/\.toml$/, '')));
    expect(ARCHES).toEqual(knownArches(PROFILES));
  });

  describe.each(EACH_PROFILE)('%s', (arch, p) => {
    it('validates, is named after its arch and loads by every alias', async () => {
      expect(p.arch).toBe(arch);
      expect(ProfileSchema.safeParse(p).success).toBe(true);
      for (const alias of [arch, ...p.aliases, p.oci_arch, p.deb_arch]) expect((await loadProfile(alias, PROFILES)).arch).toBe(arch);
    });

    it('declares at least one known boot mode, each complete for what it boots', () => {
      const modes = bootModes(p);
      expect(modes.length).toBeGreaterThan(0);
      for (const m of modes) {
        expect(BOOT_MODES as readonly string[]).toContain(m.name);
        if (m.firmware.load !== 'default') expect(m.firmware.code, `${arch} ${m.name}: firmware code`).toMatch(/^\//);
        if (m.firmware.load === 'pflash') expect(m.firmware.vars, `${arch} ${m.name}: vars template`).toMatch(/^\//);
        if (m.iso === 'efiboot' || m.disk === 'grub2-efi') {
          expect(m.efi_boot_file, `${arch} ${m.name}`).toMatch(/^BOOT[A-Z0-9]+\.EFI$/);
          expect(m.grub_target, `${arch} ${m.name}`).toMatch(/-efi$/);
          // EFI GRUB images carry every module: the ones the boot paths need must be there
          expect(m.grub_modules).toEqual(expect.arrayContaining(['part_gpt', 'fat', 'iso9660', 'linux', 'search_label', 'configfile', 'normal']));
        }
        if (m.disk === 'grub2-bios') expect(p.disk.partitions.some((x) => x.role === 'bios-boot')).toBe(true);
        if (m.disk === 'grub2-efi') expect(p.disk.partitions.some((x) => x.role === 'esp')).toBe(true);
        for (const s of m.sector_sizes) expect(p.disk.sector_sizes).toContain(s);
      }
      // a BIOS-BOOT partition exactly when some mode installs BIOS GRUB
      expect(p.disk.partitions.some((x) => x.role === 'bios-boot')).toBe(modes.some((m) => m.disk === 'grub2-bios'));
    });

    it('has consoles the console parser knows, each with a console= kernel argument; the last one is the primary', () => {
      const consoles = p.console.devices.map(parseConsole);
      for (const c of consoles) expect(p.kernel.args).toContain(consoleKarg(c));
      const last = p.kernel.args.filter((a) => a.startsWith('console=')).at(-1);
      expect(last).toBe(consoleKarg(primaryConsole(p.console.devices)));
    });

    it('has a disk layout with one rest-of-disk root and a boot partition', () => {
      const rest = p.disk.partitions.filter((x) => x.size_mib === 0);
      expect(rest).toHaveLength(1);
      expect(rest[0]?.mountpoint).toBe('/');
      expect(p.disk.partitions.some((x) => x.mountpoint === '/boot')).toBe(true);
      expect(p.live.ignition_area_size % 512).toBe(0);
    });
  });
});

describe('broken profiles are rejected with the offending path named', () => {
  it('qemu.tcg_kargs: whole kernel arguments, empty when absent', () => {
    expect(parseProfile(x86Text, 'x86_64.toml').qemu.tcg_kargs).toEqual(['no_timer_check', 'mitigations=off']);
    expect(parseProfile(edited(/^tcg_kargs = .*$/m, ''), 'no-tcg.toml').qemu.tcg_kargs).toEqual([]);
    const e = thrown(() => parseProfile(edited('tcg_kargs = ["no_timer_check", "mitigations=off"]', 'tcg_kargs = ["no_timer_check tsc=reliable"]'), 'bad-tcg.toml'));
    expect(e.message).toContain('qemu.tcg_kargs.0');
  });

  it('bad partition GUID', () => {
    const text = edited('type = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"', 'type = "C12A7328-F81F-11D2-BA4B-NOTAGUID"');
    const e = thrown(() => parseProfile(text, 'bad-guid.toml'));
    expect(e.message).toContain('bad-guid.toml');
    expect(e.message).toContain('disk.partitions.1.type');
    expect(e.message).toContain('must be a GUID');
    expect(e.fix).toBeTruthy();
  });

  it('two rest-of-disk partitions', () => {
    const text = edited(/size_mib = 384/, 'size_mib = 0');
    const e = thrown(() => parseProfile(text, 'two-rest.toml'));
    expect(e.message).toContain('two-rest.toml');
    expect(e.message).toMatch(/disk\.partitions/);
    expect(e.message).toContain('only one partition may take the rest of the disk');
  });

  it('pflash firmware without a vars template', () => {
    const text = edited(', vars = "/usr/share/OVMF/OVMF_VARS_4M.fd"', '');
    const e = thrown(() => parseProfile(text, 'no-vars.toml'));
    expect(e.message).toContain('no-vars.toml');
    expect(e.message).toContain('boot.uefi.firmware.vars: load = "pflash" needs vars');
  });

  it('firmware loaded with -bios but without a file', () => {
    const text = edited('load = "bios", code = "/usr/share/seabios/bios-256k.bin", ', 'load = "bios", ');
    const e = thrown(() => parseProfile(text, 'no-code.toml'));
    expect(e.message).toContain('boot.bios.firmware.code: load = "bios" needs code');
  });

  it('an EFI boot mode without efi_boot_file', () => {
    const text = edited('efi_boot_file = "BOOTX64.EFI"\n', '');
    const e = thrown(() => parseProfile(text, 'no-efi-file.toml'));
    expect(e.message).toContain('boot.uefi.efi_boot_file: an EFI boot mode needs efi_boot_file');
  });

  it('grub2-bios without a bios-boot partition', () => {
    const text = edited('role = "bios-boot"\n', '');
    const e = thrown(() => parseProfile(text, 'no-bios-boot.toml'));
    expect(e.message).toContain('boot.bios.disk: disk = "grub2-bios" needs a partition with role = "bios-boot"');
  });

  it('a boot mode sector size the disk does not have', () => {
    const text = edited('default_size_mib = 4096\nsector_sizes = [512, 4096]', 'default_size_mib = 4096\nsector_sizes = [4096]');
    const e = thrown(() => parseProfile(text, 'ss-mode.toml'));
    expect(e.message).toContain('boot.bios.sector_sizes: 512 is not in disk.sector_sizes');
  });

  it('an unknown boot mode', () => {
    const e = thrown(() => parseProfile(x86Text.replace('[boot.uefi]', '[boot.openfirmware]'), 'mode.toml'));
    expect(e.message).toContain('mode.toml');
    expect(e.message).toMatch(/boot/);
  });

  it('no boot mode at all', () => {
    const noBoot = x86Text.replace(/\[boot\.bios\][\s\S]*?(?=\[builder\])/, '');
    expect(noBoot).not.toContain('[boot.');
    // grub2-bios etc. are gone with the modes; the BIOS-BOOT role alone is fine
    const e = thrown(() => parseProfile(noBoot, 'no-boot.toml'));
    expect(e.message).toContain('boot');
  });

  it('an unknown console device', () => {
    const text = edited('devices = ["ttyS0,115200n8"]', 'devices = ["ttyUSB0,115200n8"]');
    const e = thrown(() => parseProfile(text, 'console.toml'));
    expect(e.message).toContain('console.toml');
    expect(e.message).toContain('console.devices.0: unknown console "ttyUSB0,115200n8"');
  });

  it('TOML syntax error', () => {
    const text = edited('memory_mib = 2048', 'memory_mib = = 2048');
    const e = thrown(() => parseProfile(text, 'syntax.toml'));
    expect(e.message).toContain('syntax.toml');
    expect(e.message).toContain('not valid TOML');
    // @iarna/toml reports the position
    const row = text.split('\n').findIndex((l) => l.startsWith('memory_mib = =')) + 1;
    expect(e.message).toMatch(new RegExp(`row ${row}, col \\d+`));
    expect(e.message).toContain('memory_mib = = 2048');
  });

  it('unknown key', () => {
    const text = edited('smp = 2', 'smp = 2\nsmpp = 4');
    const e = thrown(() => parseProfile(text, 'unknown-key.toml'));
    expect(e.message).toContain('unknown-key.toml');
    expect(e.message).toContain('qemu');
    expect(e.message).toContain('smpp');
  });

  it('unknown top-level table', () => {
    const e = thrown(() => parseProfile(`${x86Text}\n[extra]\nx = 1\n`, 'extra.toml'));
    expect(e.message).toContain('extra');
  });

  it('wrong type names the field', () => {
    const text = edited('memory_mib = 2048', 'memory_mib = "2048"');
    const e = thrown(() => parseProfile(text, 'type.toml'));
    expect(e.message).toContain('qemu.memory_mib');
  });

  it('a sector size other than 512 and 4096', () => {
    const text = edited('default_size_mib = 4096\nsector_sizes = [512, 4096]', 'default_size_mib = 4096\nsector_sizes = [512, 1024]');
    const e = thrown(() => parseProfile(text, 'ss.toml'));
    expect(e.message).toContain('disk.sector_sizes.1');
  });

  it('no partition mounted at /', () => {
    const text = edited('mountpoint = "/"\n', '');
    const e = thrown(() => parseProfile(text, 'noroot.toml'));
    expect(e.message).toContain('one partition must be mounted at /');
  });

  it('loadProfile names the file of an invalid profile', async () => {
    await writeFile(join(work, 'x86_64.toml'), edited('smp = 2', 'smp = 0'));
    await expect(loadProfile('x86_64', work)).rejects.toThrow(/x86_64\.toml is invalid:[\s\S]*qemu\.smp/);
  });

  it('a file whose arch differs from its name is not a platform', async () => {
    const dir = await mkdtemp(join(work, 'mislabelled-'));
    await writeFile(join(dir, 'aarch64.toml'), x86Text);
    await expect(loadProfile('aarch64', dir)).rejects.toThrow(/aarch64/);
  });

  it('a file whose arch differs from its name is named in the error', async () => {
    const dir = await mkdtemp(join(work, 'mislabelled2-'));
    await writeFile(join(dir, 'aarch64.toml'), x86Text);
    await expect(loadProfile('aarch64', dir)).rejects.toThrow(/declares arch "x86_64", expected "aarch64"/);
  });

  // Same cause: platforms() skips a profile file with a TOML error, so its position is never reported.
  it('a profile file with a TOML syntax error is reported with its position when that arch is asked for', async () => {
    const dir = await mkdtemp(join(work, 'syntax-'));
    await writeFile(join(dir, 'x86_64.toml'), x86Text.replace('memory_mib = 2048', 'memory_mib = = 2048'));
    await expect(loadProfile('x86_64', dir)).rejects.toThrow(/x86_64\.toml is not valid TOML/);
  });

  it('an arch without a profile file names the profiles directory and the known platforms', async () => {
    const e = await loadProfile('s390x', work).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Day0Error).message).toContain('s390x');
    expect((e as Day0Error).fix).toContain(work);
  });
});

describe('normalizeArch (profile aliases)', () => {
  it.each([
    ['x86_64', 'x86_64'],
    ['amd64', 'x86_64'],
    ['aarch64', 'aarch64'],
    ['arm64', 'aarch64'],
  ])('%s → %s', (input, want) => {
    expect(normalizeArch(input)).toBe(want);
  });

  it.each(EACH_PROFILE)('%s: its own name, aliases, OCI and Debian names', (arch, p) => {
    for (const n of [arch, ...p.aliases, p.oci_arch, p.deb_arch]) expect(normalizeArch(n, PROFILES)).toBe(arch);
  });

  it('an unknown arch error lists the known ones', () => {
    const e = thrown(() => normalizeArch('riscv64'));
    expect(e.message).toContain('riscv64');
    for (const a of ARCHES) expect(e.fix).toContain(a);
  });

  it('is case-sensitive about unknown spellings (no silent guessing)', () => {
    expect(() => normalizeArch('X86_64')).toThrow(Day0Error);
    expect(() => normalizeArch('')).toThrow(Day0Error);
  });
});
