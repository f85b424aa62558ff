// QEMU command lines (pure, from the platform profile) over every profile × boot mode × medium, the console classifier
// and line splitter, the KVM probe guest and the accelerator choice. Console lines below are written the way
// systemd 252, dracut, the kernel, SeaBIOS, OVMF and iPXE print them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Executor, RunResult, RunSpec } from '../../src/executor/types.js';
import { bootModes, type NamedBootMode } from '../../src/profiles/boot.js';
import type { Profile } from '../../src/profiles/schema.js';
import { qemuArgv, serconBytes, type BootMedium, type QemuPlan } from '../../src/qemu/args.js';
import { classifyLine, ConsoleTail, stripAnsi, type FailureKind } from '../../src/qemu/console.js';
import { probeAccel, x86ProbeBootSector } from '../../src/qemu/accel.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { EACH_PROFILE, profile as profileOf } from '../helpers/profiles.js';

const profile: Profile = profileOf('x86_64');

/** The value following `flag` each time it occurs. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag && i + 1 < argv.length ? [argv[i + 1] as string] : []));
}

function plan(over: Partial<QemuPlan> & Pick<QemuPlan, 'medium'>): QemuPlan {
  return { profile, firmware: 'bios', accel: 'tcg', ...over };
}

const X86_HEAD = ['qemu-system-x86_64', '-machine', 'q35,accel=tcg', '-cpu', 'Nehalem', '-m', '2048', '-smp', '2', '-nodefaults', '-display', 'none',
  '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-device', 'virtio-rng-pci'];
const SEABIOS = ['-bios', '/usr/share/seabios/bios-256k.bin'];
const OVMF = ['-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd', '-drive', 'if=pflash,format=raw,unit=1,file=/v.fd'];
const PLAIN_NIC = ['-netdev', 'user,id=net0', '-device', 'virtio-net-pci,netdev=net0,romfile='];

describe('qemuArgv: x86_64 command lines are the ones day0 used before profiles had boot modes', () => {
  // Golden argv, produced by the previous (pre-boot-mode) implementation for the same plans.
  it.each<[string, Partial<QemuPlan> & Pick<QemuPlan, 'medium'>, string[]]>([
    ['iso under bios', { medium: { kind: 'iso', path: '/a.iso' } },
      [...X86_HEAD, ...SEABIOS, '-drive', 'if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=/a.iso', '-device', 'ide-cd,drive=cd0,bootindex=0', ...PLAIN_NIC]],
    ['iso under uefi', { firmware: 'uefi', uefiVars: '/v.fd', medium: { kind: 'iso', path: '/a.iso' } },
      [...X86_HEAD, ...OVMF, '-drive', 'if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=/a.iso', '-device', 'ide-cd,drive=cd0,bootindex=0', ...PLAIN_NIC]],
    ['metal4k under uefi', { firmware: 'uefi', uefiVars: '/v.fd', medium: { kind: 'disk', path: '/d.raw', format: 'raw', sectorSize: 4096 } },
      [...X86_HEAD, ...OVMF, '-drive', 'if=none,id=disk0,format=raw,file=/d.raw', '-device', 'virtio-blk-pci,drive=disk0,bootindex=0,logical_block_size=4096,physical_block_size=4096', ...PLAIN_NIC]],
    ['network boot under bios with the SeaBIOS serial mirror', { serconFile: '/s.bin', medium: { kind: 'netboot', bootUrl: 'http://10.0.2.2:1/x.ipxe' } },
      [...X86_HEAD, ...SEABIOS, '-fw_cfg', 'name=etc/sercon-port,file=/s.bin', '-netdev', 'user,id=net0,bootfile=http://10.0.2.2:1/x.ipxe', '-device', 'e1000,netdev=net0,bootindex=0,romfile=/usr/lib/ipxe/qemu/pxe-e1000.rom']],
    ['network boot under uefi from TFTP', { firmware: 'uefi', uefiVars: '/v.fd', medium: { kind: 'netboot', bootUrl: 'boot.ipxe', tftpRoot: '/t' } },
      [...X86_HEAD, ...OVMF, '-netdev', 'user,id=net0,tftp=/t,bootfile=boot.ipxe', '-device', 'e1000,netdev=net0,bootindex=0,romfile=/usr/lib/ipxe/qemu/efi-e1000.rom']],
    ['qemu image under bios (KVM) with its config through fw_cfg', { accel: 'kvm', serconFile: '/s.bin', platformIgnition: '/c.ign', medium: { kind: 'disk', path: '/d.qcow2', format: 'qcow2' } },
      ['qemu-system-x86_64', '-machine', 'q35,accel=kvm', '-cpu', 'host', ...X86_HEAD.slice(5), ...SEABIOS, '-fw_cfg', 'name=etc/sercon-port,file=/s.bin',
        '-drive', 'if=none,id=disk0,format=qcow2,file=/d.qcow2', '-device', 'virtio-blk-pci,drive=disk0,bootindex=0,logical_block_size=512,physical_block_size=512', ...PLAIN_NIC,
        '-fw_cfg', 'name=opt/com.coreos/config,file=/c.ign']],
    ['direct kernel boot under uefi', { firmware: 'uefi', uefiVars: '/v.fd', medium: { kind: 'kernel', kernel: '/k', initrd: '/i', append: 'a b' } },
      [...X86_HEAD, ...OVMF, '-kernel', '/k', '-initrd', '/i', '-append', 'a b', ...PLAIN_NIC]],
  ])('%s', (_what, over, want) => {
    expect(qemuArgv(plan(over))).toEqual(want);
  });
});

describe('qemuArgv (x86_64)', () => {
  it('kernel boot under BIOS (TCG): machine, cpu, memory, serial on stdio, -kernel/-initrd/-append, SeaBIOS', () => {
    const argv = qemuArgv(plan({ medium: { kind: 'kernel', kernel: '/w/vmlinuz', initrd: '/w/initrd.img', append: 'console=ttyS0,115200n8 ignition.firstboot' } }));
    expect(argv[0]).toBe('qemu-system-x86_64');
    expect(values(argv, '-machine')).toEqual(['q35,accel=tcg']);
    expect(values(argv, '-cpu')).toEqual(['Nehalem']);
    expect(values(argv, '-m')).toEqual(['2048']);
    expect(values(argv, '-smp')).toEqual(['2']);
    expect(values(argv, '-serial')).toEqual(['stdio']);
    expect(values(argv, '-display')).toEqual(['none']);
    expect(values(argv, '-monitor')).toEqual(['none']);
    expect(argv).toContain('-nodefaults');
    expect(argv).toContain('-no-reboot');
    expect(values(argv, '-bios')).toEqual(['/usr/share/seabios/bios-256k.bin']);
    expect(argv.some((a) => a.includes('pflash'))).toBe(false);
    expect(values(argv, '-kernel')).toEqual(['/w/vmlinuz']);
    expect(values(argv, '-initrd')).toEqual(['/w/initrd.img']);
    expect(values(argv, '-append')).toEqual(['console=ttyS0,115200n8 ignition.firstboot']);
    // user networking without an option ROM, so a kernel boot never tries PXE
    expect(values(argv, '-netdev')).toEqual(['user,id=net0']);
    expect(values(argv, '-device')).toContain('virtio-net-pci,netdev=net0,romfile=');
    expect(values(argv, '-device')).toContain('virtio-rng-pci');
    expect(argv.some((a) => a.startsWith('name=opt/com.coreos/config'))).toBe(false);
  });

  it('KVM uses the kvm cpu model; memory can be overridden', () => {
    const argv = qemuArgv(plan({ accel: 'kvm', memoryMib: 4096, medium: { kind: 'iso', path: '/w/a.iso' } }));
    expect(values(argv, '-machine')).toEqual(['q35,accel=kvm']);
    expect(values(argv, '-cpu')).toEqual(['host']);
    expect(values(argv, '-m')).toEqual(['4096']);
  });

  it('UEFI: read-only pflash code and a private, writable vars copy', () => {
    const argv = qemuArgv(plan({ firmware: 'uefi', uefiVars: '/w/vars.fd', medium: { kind: 'kernel', kernel: '/k', initrd: '/i', append: '' } }));
    const drives = values(argv, '-drive');
    expect(drives).toContain('if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd');
    expect(drives).toContain('if=pflash,format=raw,unit=1,file=/w/vars.fd');
    // the template itself is never handed to QEMU writable
    expect(argv.join(' ')).not.toContain('OVMF_VARS_4M.fd');
    expect(argv).not.toContain('-bios');
  });

  it('UEFI without a vars copy is refused', () => {
    expect(() => qemuArgv(plan({ firmware: 'uefi', medium: { kind: 'iso', path: '/w/a.iso' } }))).toThrow(/vars/);
  });

  it('a firmware the profile lacks is refused', () => {
    const noUefi: Profile = { ...profile, boot: { bios: profile.boot.bios! } };
    expect(() => qemuArgv({ profile: noUefi, firmware: 'uefi', accel: 'tcg', uefiVars: '/v', medium: { kind: 'iso', path: '/a' } })).toThrow(/uefi/);
  });

  it('the SeaBIOS serial mirror only with a sercon file, never under UEFI', () => {
    expect(values(qemuArgv(plan({ medium: { kind: 'iso', path: '/a' } })), '-fw_cfg')).toEqual([]);
    expect(values(qemuArgv(plan({ serconFile: '/s', medium: { kind: 'iso', path: '/a' } })), '-fw_cfg')).toEqual(['name=etc/sercon-port,file=/s']);
    expect(values(qemuArgv(plan({ firmware: 'uefi', uefiVars: '/v', serconFile: '/s', medium: { kind: 'iso', path: '/a' } })), '-fw_cfg')).toEqual([]);
    expect([...serconBytes(0x3f8)]).toEqual([0xf8, 0x03]);
  });

  it.each(['bios', 'uefi'] as const)('ISO under %s: read-only cdrom on the profile cdrom device, booted first', (firmware) => {
    const argv = qemuArgv(plan({ firmware, uefiVars: '/w/vars.fd', medium: { kind: 'iso', path: '/w/live.iso' } }));
    expect(values(argv, '-drive')).toContain('if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=/w/live.iso');
    expect(values(argv, '-device')).toContain('ide-cd,drive=cd0,bootindex=0');
    // q35 has its own AHCI controller: no extra controller
    expect(values(argv, '-device').some((d) => d.includes('scsi'))).toBe(false);
    expect(argv).not.toContain('-kernel');
  });

  it.each([
    [512, 'bios'],
    [4096, 'bios'],
    [512, 'uefi'],
    [4096, 'uefi'],
  ] as const)('disk with %i-byte sectors under %s', (ss, firmware) => {
    const argv = qemuArgv(plan({ firmware, uefiVars: '/w/vars.fd', medium: { kind: 'disk', path: '/w/disk.qcow2', format: 'qcow2', sectorSize: ss } }));
    expect(values(argv, '-drive')).toContain('if=none,id=disk0,format=qcow2,file=/w/disk.qcow2');
    expect(values(argv, '-device')).toContain(`virtio-blk-pci,drive=disk0,bootindex=0,logical_block_size=${ss},physical_block_size=${ss}`);
  });

  it('disk defaults to 512-byte sectors', () => {
    const argv = qemuArgv(plan({ medium: { kind: 'disk', path: '/w/disk.raw', format: 'raw' } }));
    expect(values(argv, '-device')).toContain('virtio-blk-pci,drive=disk0,bootindex=0,logical_block_size=512,physical_block_size=512');
  });

  it.each([
    ['bios', '/usr/lib/ipxe/qemu/pxe-e1000.rom'],
    ['uefi', '/usr/lib/ipxe/qemu/efi-e1000.rom'],
  ] as const)('netboot under %s from a TFTP root: user net with tftp= and bootfile=, the profile NIC and iPXE ROM, booted first', (firmware, rom) => {
    const argv = qemuArgv(plan({ firmware, uefiVars: '/w/vars.fd', medium: { kind: 'netboot', tftpRoot: '/w/tftp', bootUrl: 'boot.ipxe' } }));
    expect(values(argv, '-netdev')).toEqual(['user,id=net0,tftp=/w/tftp,bootfile=boot.ipxe']);
    const nics = values(argv, '-device').filter((d) => d.includes('netdev=net0'));
    // exactly one NIC: the profile's netboot device (e1000: Debian's virtio iPXE ROM does not start under SeaBIOS),
    // first in boot order, with the firmware's iPXE ROM
    expect(nics).toEqual([`e1000,netdev=net0,bootindex=0,romfile=${rom}`]);
    expect(rom).toMatch(firmware === 'uefi' ? /efi-/ : /^\/usr\/lib\/ipxe\//);
    // and no other boot device
    expect(argv).not.toContain('-kernel');
    expect(values(argv, '-drive').filter((d) => !d.startsWith('if=pflash'))).toEqual([]);
  });

  it('netboot from an http URL needs no TFTP root', () => {
    const argv = qemuArgv(plan({ medium: { kind: 'netboot', bootUrl: 'http://10.0.2.2:8080/boot.ipxe' } }));
    expect(values(argv, '-netdev')).toEqual(['user,id=net0,bootfile=http://10.0.2.2:8080/boot.ipxe']);
  });

  it('fw_cfg Ignition config at opt/com.coreos/config', () => {
    const argv = qemuArgv(plan({ platformIgnition: '/w/config.ign', medium: { kind: 'kernel', kernel: '/k', initrd: '/i', append: 'ignition.platform.id=qemu' } }));
    expect(values(argv, '-fw_cfg').filter((v) => v.startsWith('name=opt/'))).toEqual(['name=opt/com.coreos/config,file=/w/config.ign']);
    const uefi = qemuArgv(plan({ firmware: 'uefi', uefiVars: '/w/v.fd', platformIgnition: '/w/c.ign', medium: { kind: 'iso', path: '/w/a.iso' } }));
    expect(values(uefi, '-fw_cfg')).toContain('name=opt/com.coreos/config,file=/w/c.ign');
  });

  it('is pure: same plan, same argv', () => {
    const p = plan({ medium: { kind: 'iso', path: '/w/a.iso' } });
    expect(qemuArgv(p)).toEqual(qemuArgv(p));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every profile × boot mode × medium kind: what the profile says is what QEMU gets.

const MEDIA: [string, BootMedium][] = [
  ['iso', { kind: 'iso', path: '/w/live.iso' }],
  ['disk', { kind: 'disk', path: '/w/disk.raw', format: 'raw' }],
  ['disk-4k', { kind: 'disk', path: '/w/disk4k.raw', format: 'raw', sectorSize: 4096 }],
  ['kernel', { kind: 'kernel', kernel: '/w/k', initrd: '/w/i', append: 'console=x' }],
  ['netboot', { kind: 'netboot', bootUrl: 'boot.efi', tftpRoot: '/w/tftp' }],
];

const CELLS: [string, string, BootMedium, Profile, NamedBootMode][] = EACH_PROFILE.flatMap(([arch, p]) =>
  bootModes(p).flatMap((m) => MEDIA.map(([what, medium]): [string, string, BootMedium, Profile, NamedBootMode] => [arch, `${m.name} ${what}`, medium, p, m])));

describe.each(CELLS)('qemuArgv %s %s', (_arch, _what, medium, p, mode) => {
  const q = p.qemu;
  const mk = (over: Partial<QemuPlan> = {}): QemuPlan => ({ profile: p, medium, firmware: mode.name, accel: 'tcg', uefiVars: '/w/vars.fd', ...over });

  if (medium.kind === 'netboot' && !mode.netboot) {
    it('is refused: this boot mode has no network boot', () => {
      expect(() => qemuArgv(mk())).toThrow(/no network boot/);
    });
    return;
  }
  const argv = qemuArgv(mk());
  const devices = values(argv, '-device');
  const drives = values(argv, '-drive');

  it('machine, cpu, memory, smp and the console on stdio, as the profile says', () => {
    expect(argv[0]).toBe(q.binary);
    expect(values(argv, '-machine')).toEqual([`${q.machine},accel=tcg`]);
    expect(values(argv, '-cpu')).toEqual([q.cpu_tcg]);
    expect(values(qemuArgv(mk({ accel: 'kvm' })), '-cpu')).toEqual([q.cpu_kvm]);
    expect(values(argv, '-m')).toEqual([String(q.memory_mib)]);
    expect(values(argv, '-smp')).toEqual([String(q.smp)]);
    expect(values(argv, '-serial')).toEqual(['stdio']);
    expect(argv).toEqual(expect.arrayContaining(['-nodefaults', '-no-reboot']));
    expect(values(argv, '-display')).toEqual(['none']);
    expect(values(argv, '-monitor')).toEqual(['none']);
    if (q.rng) expect(devices).toContain(q.rng);
  });

  it('the firmware as the boot mode loads it', () => {
    const fw = mode.firmware;
    const pflash = drives.filter((d) => d.startsWith('if=pflash'));
    if (fw.load === 'pflash') {
      expect(pflash).toEqual([`if=pflash,format=raw,unit=0,readonly=on,file=${fw.code}`, 'if=pflash,format=raw,unit=1,file=/w/vars.fd']);
      expect(argv).not.toContain('-bios');
      // the vars template is never handed to QEMU (it is copied per boot)
      expect(argv.join(' ')).not.toContain(fw.vars!);
      expect(() => qemuArgv(mk({ uefiVars: undefined }))).toThrow(/vars/);
    } else if (fw.load === 'bios') {
      expect(values(argv, '-bios')).toEqual([fw.code]);
      expect(pflash).toEqual([]);
    } else {
      expect(argv).not.toContain('-bios');
      expect(pflash).toEqual([]);
    }
  });

  it('exactly one boot device, booted first (a direct kernel boot needs none)', () => {
    const n = medium.kind === 'kernel' ? 0 : 1;
    expect(argv.filter((a) => a.includes('bootindex='))).toHaveLength(n);
    expect(argv.filter((a) => a.includes('bootindex=0'))).toHaveLength(n);
  });

  it('the medium on the profile devices', () => {
    switch (medium.kind) {
      case 'iso': {
        expect(drives).toContain(`if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=${medium.path}`);
        const cd = devices.find((d) => d.includes('drive=cd0'))!;
        expect(cd.split(',')[0]).toBe(q.cdrom.device);
        if (q.cdrom.controller) {
          expect(devices).toContain(`${q.cdrom.controller},id=cdctl0`);
          expect(cd).toBe(`${q.cdrom.device},drive=cd0,bootindex=0,bus=cdctl0.0`);
          // the controller is there before the device that sits on it
          expect(argv.indexOf(`${q.cdrom.controller},id=cdctl0`)).toBeLessThan(argv.indexOf(cd));
        } else {
          expect(cd).toBe(`${q.cdrom.device},drive=cd0,bootindex=0`);
        }
        break;
      }
      case 'disk': {
        const ss = medium.sectorSize ?? 512;
        expect(drives).toContain(`if=none,id=disk0,format=raw,file=${medium.path}`);
        expect(devices).toContain(`${q.disk},drive=disk0,bootindex=0,logical_block_size=${ss},physical_block_size=${ss}`);
        break;
      }
      case 'kernel':
        expect(values(argv, '-kernel')).toEqual([medium.kernel]);
        expect(values(argv, '-initrd')).toEqual([medium.initrd]);
        expect(values(argv, '-append')).toEqual([medium.append]);
        break;
      case 'netboot': {
        const nb = mode.netboot!;
        expect(values(argv, '-netdev')).toEqual([`user,id=net0,tftp=${medium.tftpRoot},bootfile=${medium.bootUrl}`]);
        const nics = devices.filter((d) => d.includes('netdev=net0'));
        expect(nics).toEqual([`${nb.device},netdev=net0,bootindex=0${nb.kind === 'ipxe-rom' ? `,romfile=${nb.rom}` : ''}`]);
        expect(drives.filter((d) => !d.startsWith('if=pflash'))).toEqual([]);
        expect(argv).not.toContain('-kernel');
        break;
      }
    }
    if (medium.kind !== 'netboot') {
      // networking for the guest, but a NIC without option ROM: no firmware network boot attempt
      expect(values(argv, '-netdev')).toEqual(['user,id=net0']);
      expect(devices.filter((d) => d.includes('netdev=net0'))).toEqual([`${q.nic},netdev=net0${q.nic_romfile ? ',romfile=' : ''}`]);
    }
  });

  it('no Ignition config unless asked; a qemu-platform config the way the profile hands it over', () => {
    expect(argv.join(' ')).not.toContain('/w/config.ign');
    const withIgn = qemuArgv(mk({ platformIgnition: '/w/config.ign' }));
    expect(withIgn.slice(0, argv.length)).toEqual(argv);
    const extra = withIgn.slice(argv.length);
    if (q.ignition === 'fw_cfg') expect(extra).toEqual(['-fw_cfg', 'name=opt/com.coreos/config,file=/w/config.ign']);
    else expect(extra).toEqual(['-drive', 'if=none,id=ign0,format=raw,readonly=on,file=/w/config.ign', '-device', `${q.disk},drive=ign0,serial=ignition`]);
    // the other way (ppc64le/s390x, as kola): a read-only virtio-blk disk with serial "ignition", never booted
    const other: Profile = { ...p, qemu: { ...q, ignition: q.ignition === 'fw_cfg' ? 'virtio-blk' : 'fw_cfg' } };
    const alt = qemuArgv({ ...mk({ platformIgnition: '/w/config.ign' }), profile: other }).slice(argv.length);
    if (other.qemu.ignition === 'virtio-blk') {
      expect(alt).toEqual(['-drive', 'if=none,id=ign0,format=raw,readonly=on,file=/w/config.ign', '-device', `${q.disk},drive=ign0,serial=ignition`]);
      expect(alt.join(' ')).not.toContain('bootindex');
    } else {
      expect(alt).toEqual(['-fw_cfg', 'name=opt/com.coreos/config,file=/w/config.ign']);
    }
  });

  it('is pure', () => {
    expect(qemuArgv(mk())).toEqual(argv);
  });
});

describe('qemuArgv (aarch64)', () => {
  const a = profileOf('aarch64');
  const mk = (medium: BootMedium, over: Partial<QemuPlan> = {}): string[] => qemuArgv({ profile: a, medium, firmware: 'uefi', accel: 'tcg', uefiVars: '/w/vars.fd', ...over });

  it('virt machine, cortex-a57 under TCG, AAVMF in pflash, never -bios', () => {
    const argv = mk({ kind: 'kernel', kernel: '/k', initrd: '/i', append: '' });
    expect(argv[0]).toBe('qemu-system-aarch64');
    expect(values(argv, '-machine')[0]).toMatch(/^virt,.*accel=tcg$/);
    expect(values(argv, '-cpu')).toEqual(['cortex-a57']);
    expect(argv).not.toContain('-bios');
    const pflash = values(argv, '-drive').filter((d) => d.startsWith('if=pflash'));
    expect(pflash).toEqual(['if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd', 'if=pflash,format=raw,unit=1,file=/w/vars.fd']);
    expect(argv.join(' ')).not.toMatch(/OVMF|seabios|ide-cd|e1000|ipxe/);
  });

  it('the ISO is a scsi-cd on a virtio-scsi-pci controller (virt has no IDE)', () => {
    const argv = mk({ kind: 'iso', path: '/w/live.aarch64.iso' });
    expect(values(argv, '-device')).toEqual(expect.arrayContaining(['virtio-scsi-pci,id=cdctl0', 'scsi-cd,drive=cd0,bootindex=0,bus=cdctl0.0']));
    expect(values(argv, '-device').some((d) => d.startsWith('ide-cd'))).toBe(false);
  });

  it('network boot: the firmware PXE client on virtio-net (no iPXE ROM), TFTP root and boot file', () => {
    const argv = mk({ kind: 'netboot', bootUrl: 'grubaa64.efi', tftpRoot: '/w/tftp' });
    expect(values(argv, '-netdev')).toEqual(['user,id=net0,tftp=/w/tftp,bootfile=grubaa64.efi']);
    expect(values(argv, '-device').filter((d) => d.includes('netdev='))).toEqual(['virtio-net-pci,netdev=net0,bootindex=0']);
    expect(argv.join(' ')).not.toContain('romfile');
  });

  it('KVM on an arm64 host uses the host cpu', () => {
    expect(values(mk({ kind: 'iso', path: '/a' }, { accel: 'kvm' }), '-cpu')).toEqual(['host']);
  });

  it('a qemu image gets its config through fw_cfg', () => {
    const argv = mk({ kind: 'disk', path: '/w/q.qcow2', format: 'qcow2' }, { platformIgnition: '/w/c.ign' });
    expect(values(argv, '-fw_cfg')).toEqual(['name=opt/com.coreos/config,file=/w/c.ign']);
  });

  it('there is no bios mode to boot', () => {
    expect(() => mk({ kind: 'iso', path: '/a' }, { firmware: 'bios' })).toThrow(/aarch64 has no bios boot mode/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

class NoRun implements Executor {
  readonly mode = 'host' as const;
  calls: RunSpec[] = [];
  async run(spec: RunSpec): Promise<RunResult> {
    this.calls.push(spec);
    throw new Error(`the accelerator probe must not run anything here (ran ${spec.argv[0]})`);
  }
  describe() {
    return 'no-run';
  }
}

describe('probeAccel', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.DAY0_ACCEL;
    delete process.env.DAY0_ACCEL;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.DAY0_ACCEL;
    else process.env.DAY0_ACCEL = saved;
  });

  const foreign = EACH_PROFILE.filter(([, p]) => p.node_arch !== process.arch);

  it.each(foreign.length ? foreign : [['(none)', undefined as unknown as Profile]] as [string, Profile][])('a guest of another arch (%s) is emulated: TCG, said why, nothing run', async (arch, p) => {
    if (!p) return;
    const exec = new NoRun();
    const r = await probeAccel(exec, p);
    expect(r.accel).toBe('tcg');
    expect(r.reason).toMatch(/TCG/);
    expect(r.reason).toContain(arch);
    expect(r.reason).toContain(process.arch);
    expect(exec.calls).toEqual([]);
  });

  it('any profile made foreign to this host is TCG without running anything', async () => {
    for (const [arch, p] of EACH_PROFILE) {
      const exec = new NoRun();
      const r = await probeAccel(exec, { ...p, arch: `${arch}-foreign-test`, node_arch: `not-${process.arch}` });
      expect(r).toMatchObject({ accel: 'tcg' });
      expect(r.reason).toMatch(/emulation \(TCG\)/);
      expect(exec.calls).toEqual([]);
    }
  });

  it('the host arch without a probe guest stays on TCG (never trusts /dev/kvm blindly), running nothing', async () => {
    const a = profileOf('aarch64');
    const exec = new NoRun();
    const r = await probeAccel(exec, { ...a, arch: 'aarch64-host-test', node_arch: process.arch, qemu: { ...a.qemu, kvm_probe: undefined } });
    expect(r.accel).toBe('tcg');
    expect(r.reason).toMatch(/\/dev\/kvm|no KVM probe guest/);
    expect(exec.calls).toEqual([]);
  });

  it('DAY0_ACCEL forces the accelerator without a probe', async () => {
    process.env.DAY0_ACCEL = 'kvm';
    const exec = new NoRun();
    const p = profileOf('x86_64');
    expect(await probeAccel(exec, { ...p, arch: 'forced-test' })).toEqual({ accel: 'kvm', reason: 'DAY0_ACCEL=kvm' });
    expect(exec.calls).toEqual([]);
  });
});

describe('classifyLine', () => {
  const failures: [FailureKind, string][] = [
    ['ignition-failed', '[FAILED] Failed to start ignition-fetch.service - Ignition (fetch).'],
    ['ignition-failed', '[FAILED] Failed to start ignition-files.service - Ignition (files).'],
    ['ignition-failed', '[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mignition-disks.service\x1b[0m - Ignition (disks).'],
    ['ignition-failed', '         Failed to start Ignition (fetch-offline).'],
    ['ignition-failed', '[   41.123456] systemd[1]: ignition-files.service: Main process exited, code=exited, status=1/FAILURE'],
    ['ignition-failed', "[   41.123999] systemd[1]: ignition-fetch.service: Failed with result 'exit-code'."],
    ['ignition-failed', '[FAILED] Failed to start ignition-kargs.service - Ignition (kargs).'],
    // systemd shortens unit names to the console width (seen on the demo image's serial console)
    ['ignition-failed', '[FAILED] Failed to start ignition-f…es.service - Ignition (files).'],
    ['ignition-failed', '[FAILED] Failed to start ignition-mount.service - Ignition (mount).'],
    ['kernel-panic', '[    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)'],
    ['kernel-panic', '[    9.000001] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100'],
    ['kernel-oops', '[   12.500000] BUG: kernel NULL pointer dereference, address: 0000000000000008'],
    ['kernel-oops', '[   12.500100] Oops: 0002 [#1] PREEMPT SMP NOPTI'],
    ['kernel-oops', '[   12.500000] BUG: unable to handle page fault for address: ffffffffc0a01000'],
    ['emergency-shell', 'You are in emergency mode. After logging in, type "journalctl -xb" to view'],
    ['emergency-shell', 'Entering emergency mode. Exit the shell to continue.'],
    ['emergency-shell', 'Cannot open access to console, the root account is locked.'],
    ['emergency-shell', 'Give root password for maintenance'],
    ['emergency-shell', '[  143.270000] dracut Warning: Could not boot.'],
    ['emergency-shell', '         Starting emergency.service - Emergency Shell...'.replace('emergency.service - ', '')],
    ['emergency-shell', '         Starting Dracut Emergency Shell...'],
    ['no-bootable-device', 'No bootable device.  Retrying in 60 seconds.'],
    ['no-bootable-device', 'Boot failed: not a bootable disk'],
    ['no-bootable-device', 'BdsDxe: No bootable option or device was found.'],
    ['no-bootable-device', 'No more network devices'],
    ['no-bootable-device', 'Boot Failed. EFI Hard Drive'],
  ];

  it.each(failures)('%s: %s', (kind, line) => {
    const f = classifyLine(line);
    expect(f?.kind).toBe(kind);
    expect(f?.reason).toBeTruthy();
    expect(f?.line).toBe(line.trim());
  });

  const harmless = [
    '         Starting Ignition (files)…',
    '         Starting ignition-files.service - Ignition (files)...',
    '[  OK  ] Finished ignition-files.service - Ignition (files).',
    'Finished ignition-files.service',
    '[  OK  ] Finished ignition-fetch-offline.service - Ignition (fetch-offline).',
    '[   30.120000] ignition[612]: Ignition 2.14.0',
    '[   30.500000] ignition[612]: Stage: fetch-offline',
    '[   31.000000] ignition[612]: fetch-offline: fetch-offline passed',
    '[   44.000000] ignition[701]: files: op(1): [started]  writing file "/sysroot/etc/day0-marker"',
    '[   44.100000] ignition[701]: files: op(1): [finished] writing file "/sysroot/etc/day0-marker"',
    '[   44.200000] ignition[701]: files: files passed',
    '[   44.300000] ignition[701]: Ignition finished successfully',
    '[   44.400000] systemd[1]: ignition-files.service: Deactivated successfully.',
    '[  OK  ] Reached target ignition-complete.target - Ignition Complete.',
    '[    0.000000] Command line: BOOT_IMAGE=/vmlinuz ignition.firstboot ignition.platform.id=qemu console=ttyS0,115200n8 panic=1',
    '[    0.000000] Kernel command line: ignition.firstboot ignition.platform.id=qemu',
    '[FAILED] Failed to start ipsec.service - Internet Key Exchange (IKE) Protocol Daemon for IPsec.',
    '[FAILED] Failed to start systemd-timesyncd.service - Network Time Synchronization.',
    '[    1.234567] ACPI: bus type USB registered',
    'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
    'Booting from ROM..',
    'Booting from DVD/CD...',
    'iPXE initialising devices...ok',
    'BdsDxe: loading Boot0001 "UEFI QEMU DVD-ROM QM00001 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)',
    'Welcome to day0 Demo CoreOS-like 12 (bookworm)!',
    'day0-demo login: ',
    '[  OK  ] Reached target multi-user.target - Multi-User System.',
    '[   50.000000] systemd-journald[123]: Received client request to flush runtime journal.',
    'DAY0-MARKER 3f2a9c',
    // systemd's job progress while Ignition retries a fetch
    '[ ***  ] Job ignition-files.service/start running (35s / no limit)',
    '[DEPEND] Dependency failed for igni…te.target - Ignition Complete.',
    '[  OK  ] Finished day0-live-root.se… the live root filesystem image.',
    '',
  ];

  it.each(harmless)('no false positive: %j', (line) => {
    expect(classifyLine(line)).toBeUndefined();
  });

  it('no false positive on a successful exit in systemd debug logging', () => {
    expect(classifyLine('ignition-files.service: Main process exited, code=exited, status=0/SUCCESS')).toBeUndefined();
    expect(classifyLine('ignition-files.service: Main process exited, code=exited, status=1/FAILURE')?.kind).toBe('ignition-failed');
    expect(classifyLine('ignition-disks.service: Main process exited, code=killed, status=9/KILL')?.kind).toBe('ignition-failed');
  });

  it('recognises the emergency shell in systemd ≥ 249 unit format', () => {
    expect(classifyLine('         Starting emergency.service - Emergency Shell...')?.kind).toBe('emergency-shell');
  });

  it('stripAnsi removes two-byte escapes such as ESC M that systemd emits when redrawing job progress', () => {
    expect(stripAnsi('\x1bM\x1b[K[FAILED] Failed to start x')).toBe('[FAILED] Failed to start x');
    expect(stripAnsi('\x1b[0;1;31mFAILED\x1b[0m ok')).toBe('FAILED ok');
  });
});

describe('ConsoleTail', () => {
  it('joins lines split across chunks and returns only complete lines', () => {
    const t = new ConsoleTail();
    expect(t.push('hel')).toEqual([]);
    expect(t.push('lo wor')).toEqual([]);
    expect(t.push('ld\nsecond ')).toEqual(['hello world']);
    expect(t.push('line\nthird\n')).toEqual(['second line', 'third']);
    expect(t.last()).toEqual(['hello world', 'second line', 'third']);
  });

  it('strips CR (serial CRLF and carriage-return progress lines)', () => {
    const t = new ConsoleTail();
    expect(t.push('a\r\nb\r')).toEqual(['a']);
    expect(t.push('\nc\r\n')).toEqual(['b', 'c']);
    // a CRLF split exactly between chunks
    expect(t.push('d\r')).toEqual([]);
    expect(t.push('\n')).toEqual(['d']);
    expect(t.last().some((l) => l.includes('\r'))).toBe(false);
  });

  it('strips ANSI colour and cursor sequences, also when the escape is split across chunks', () => {
    const t = new ConsoleTail();
    expect(t.push('[\x1b[0;32m  OK  \x1b[0m] Finished \x1b[0;1;39mignition-files.service\x1b[0m - Ignition (files).\n')).toEqual([
      '[  OK  ] Finished ignition-files.service - Ignition (files).',
    ]);
    expect(t.push('\x1b[?25l\x1b[2Kprogress\x1b')).toEqual([]);
    expect(t.push('[0m done\n')).toEqual(['progress done']);
    expect(t.push('\x1bcreset\x1b(Bx\n')).toEqual(['resetx']);
  });

  it('last() includes the unfinished line and keeps only the newest N', () => {
    const t = new ConsoleTail(3);
    t.push('1\n2\n3\n4\n5\npartial');
    expect(t.last()).toEqual(['4', '5', 'partial']);
    expect(t.last(2)).toEqual(['5', 'partial']);
    t.push(' line\n');
    expect(t.last()).toEqual(['4', '5', 'partial line']);
  });

  it('classifies what it splits (the runner’s loop)', () => {
    const t = new ConsoleTail();
    const found = [
      ...t.push('[  OK  ] Finished ignition-fetch.service - Ignition (fetch).\r\n[\x1b[0;1;31mFAI'),
      ...t.push('LED\x1b[0m] Failed to start ignition-files.service - Ignition (files).\r\n'),
    ]
      .map(classifyLine)
      .filter((f) => f !== undefined);
    expect(found.map((f) => f.kind)).toEqual(['ignition-failed']);
    expect(found[0]?.line).toBe('[FAILED] Failed to start ignition-files.service - Ignition (files).');
  });

  it('a real systemd failure line after job-progress redraws (ESC M, CR, erase-line) is classified', () => {
    const t = new ConsoleTail();
    const lines = [
      ...t.push('         Starting \x1b[0;1;39mignition-files.service\x1b[0m - Ignition (files)...\r\r\n'),
      ...t.push('[ \x1b[0;31m*\x1b[0;1;31m*\x1b[0m\x1b[0;31m*  \x1b[0m] Job ignition-files.service/start running (35s / no limit)\r\r\n'),
      ...t.push('\x1bM\r\x1b[K[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mignition-f…es.service\x1b[0m - Ignition (files).\r\r\n'),
    ];
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('         Starting ignition-files.service - Ignition (files)...');
    expect(classifyLine(lines[0] ?? '')).toBeUndefined();
    expect(lines[1]).toBe('[ ***  ] Job ignition-files.service/start running (35s / no limit)');
    expect(classifyLine(lines[1] ?? '')).toBeUndefined();
    expect(lines[2]).toContain('[FAILED] Failed to start ignition-f…es.service - Ignition (files).');
    expect(classifyLine(lines[2] ?? '')?.kind).toBe('ignition-failed');
  });

  it('stripAnsi leaves plain text alone', () => {
    expect(stripAnsi('plain [ text ] (x)')).toBe('plain [ text ] (x)');
  });
});

describe('x86ProbeBootSector', () => {
  const s = x86ProbeBootSector();

  it('is one 512-byte sector ending 55 AA', () => {
    expect(s.length).toBe(512);
    expect(s[510]).toBe(0x55);
    expect(s[511]).toBe(0xaa);
  });

  it('writes DAY0KVM\\n to COM1 (0x3f8) with out dx, al, then halts', () => {
    expect([...s.subarray(0, 3)]).toEqual([0xba, 0xf8, 0x03]); // mov dx, 0x3f8
    const msg = 'DAY0KVM\n';
    for (let i = 0; i < msg.length; i++) {
      expect([...s.subarray(3 + i * 3, 6 + i * 3)]).toEqual([0xb0, msg.charCodeAt(i), 0xee]);
    }
    const end = 3 + msg.length * 3;
    expect([...s.subarray(end, end + 3)]).toEqual([0xf4, 0xeb, 0xfd]); // hlt; jmp back to hlt
    expect(s.subarray(end + 3, 510).every((b) => b === 0)).toBe(true);
  });
});

describe('profile facts the runner relies on', () => {
  it('the x86_64 profile file names the firmware paths used above', async () => {
    const text = await readFile(join(PACKAGE_ROOT, 'profiles', 'x86_64.toml'), 'utf8');
    expect(text).toContain('/usr/share/seabios/bios-256k.bin');
    expect(text).toContain('/usr/share/OVMF/OVMF_CODE_4M.fd');
  });
});
