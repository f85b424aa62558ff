// The live media's own files: bootloader configs with kargs embed areas, kargs.json, kernel arguments, PXE configs;
// x86_64 exactly as before, and every profile for what the profile drives.
import { describe, expect, it } from 'vitest';
import { grubCfg, grubEfiEmbeddedCfg, igninfoJson, isolinuxCfg, kargsJson, volumeLabel, KARGS_MARKER } from '../../../src/media/iso-layout.js';
import { liveKargs, editKargs } from '../../../src/media/kargs.js';
import { grubNetCfg, ipxeScript, pxeConfigFiles, pxeNames, pxelinuxCfg } from '../../../src/media/pxe.js';
import { consoleKarg, grubTerminal, parseConsole, primaryConsole } from '../../../src/profiles/console.js';
import { EACH_PROFILE, profile as profileOf } from '../../helpers/profiles.js';

const profile = profileOf('x86_64');

describe('live ISO layout', () => {
  it('puts a kargs area of exactly `size` bytes at the recorded offset in both bootloader configs', () => {
    const kargs = 'coreos.liveiso=day0-abc ignition.firstboot';
    for (const cfg of [grubCfg(profile, kargs, 1024), isolinuxCfg(profile, kargs, 1024)]) {
      const buf = Buffer.from(cfg.text);
      const area = buf.subarray(cfg.offset, cfg.offset + 1024).toString();
      expect(area.startsWith(`${kargs}\n#`)).toBe(true);
      expect(area.endsWith('#')).toBe(true);
      expect(buf.subarray(cfg.offset + 1024).toString().startsWith(` ${KARGS_MARKER}\n`)).toBe(true);
    }
  });

  it('refuses kargs longer than the area', () => {
    expect(() => grubCfg(profile, 'x'.repeat(1024), 1024)).toThrow(/exceed the 1024-byte embed area/);
  });

  it('grub loads the Ignition area as a second initrd; isolinux too', () => {
    expect(grubCfg(profile, 'a', 64).text).toContain('initrd /images/pxeboot/initrd.img /images/ignition.img');
    expect(isolinuxCfg(profile, 'a', 64).text).toContain('append initrd=/images/pxeboot/initrd.img,/images/ignition.img ');
  });

  it('x86_64 configs are byte for byte what they were (serial console 0 at 115200)', () => {
    const g = grubCfg(profile, 'k a', 16);
    expect(g.text).toBe([
      'serial --unit=0 --speed=115200', 'terminal_input serial console', 'terminal_output serial console',
      'set timeout=1', 'set default=0', '', "menuentry 'Live x86_64' --class gnu-linux {",
      `  linux /images/pxeboot/vmlinuz k a\n${'#'.repeat(12)} ${KARGS_MARKER}`, '  initrd /images/pxeboot/initrd.img /images/ignition.img', '}', '',
    ].join('\n'));
    const i = isolinuxCfg(profile, 'k a', 16);
    expect(i.text).toBe([
      'serial 0 115200', 'default live', 'prompt 0', 'timeout 10', '', 'label live', '  kernel /images/pxeboot/vmlinuz',
      `  append initrd=/images/pxeboot/initrd.img,/images/ignition.img k a\n${'#'.repeat(12)} ${KARGS_MARKER}`, '',
    ].join('\n'));
    expect(i.offset).toBe(i.text.indexOf('k a\n'));
    expect(g.offset).toBe(g.text.indexOf('k a\n'));
  });

  it('kargs.json lists every area with pad/end and the default', () => {
    const j = JSON.parse(kargsJson('a b', 1024, [{ path: 'EFI/BOOT/grub.cfg', offset: 200 }]));
    expect(j).toEqual({ default: 'a b', files: [{ path: 'EFI/BOOT/grub.cfg', offset: 200, pad: '#', end: '\n' }], size: 1024 });
  });

  it('volume labels are short and derived from the digest', () => {
    expect(volumeLabel('day0', `sha256:${'0123456789ab'.repeat(6)}`)).toBe('day0-0123456789ab');
    expect(volumeLabel('x'.repeat(40), 'sha256:ff').length).toBe(32);
  });
});

describe.each(EACH_PROFILE)('%s live configs', (arch, p) => {
  const kargs = liveKargs(p, { isoLabel: 'day0-x' });
  const primary = primaryConsole(p.console.devices);

  it('GRUB: the primary console terminal, the kargs area at its offset, the Ignition area as second initrd', () => {
    const g = grubCfg(p, kargs, p.live.kargs_area_size);
    expect(g.text.startsWith(`${grubTerminal(primary).join('\n')}\n`)).toBe(true);
    expect(g.text).toContain(`menuentry 'Live ${arch}'`);
    const area = Buffer.from(g.text).subarray(g.offset, g.offset + p.live.kargs_area_size).toString();
    expect(area).toBe(`${kargs}\n${'#'.repeat(p.live.kargs_area_size - Buffer.byteLength(kargs) - 1)}`);
    expect(g.text).toContain('initrd /images/pxeboot/initrd.img /images/ignition.img');
  });

  it('isolinux: a serial line only for a 16550 UART console', () => {
    const i = isolinuxCfg(p, kargs, p.live.kargs_area_size);
    const uart = p.console.devices.map(parseConsole).find((c) => c.kind === 'ns16550');
    expect(i.text.startsWith('serial ')).toBe(Boolean(uart));
    if (uart) expect(i.text.split('\n')[0]).toBe(`serial ${uart.index} ${uart.speed ?? 115200}`);
  });

  it('live kargs: the ISO label, the live args, then the profile args with every console', () => {
    expect(kargs.split(' ')).toEqual(['coreos.liveiso=day0-x', ...p.kernel.live_args, ...p.kernel.args]);
    for (const d of p.console.devices) expect(kargs.split(' ')).toContain(consoleKarg(parseConsole(d)));
    // the last console= is the one the boot check reads (/dev/console)
    expect(kargs.split(' ').filter((k) => k.startsWith('console=')).at(-1)).toBe(consoleKarg(primary));
  });

  it('the EFI GRUB image finds the ISO by label and reads its area-carrying grub.cfg', () => {
    expect(grubEfiEmbeddedCfg('day0-abc')).toBe('search --no-floppy --label day0-abc --set=root\nset prefix=($root)/EFI/BOOT\nconfigfile ($root)/EFI/BOOT/grub.cfg\n');
    expect(JSON.parse(igninfoJson())).toEqual({ file: 'images/ignition.img' });
  });

  it('PXE names and configs carry the arch', () => {
    const names = pxeNames('demo', arch);
    expect(names).toMatchObject({
      kernel: `demo-live-kernel.${arch}`, initramfs: `demo-live-initramfs.${arch}.img`,
      rootfs: `demo-live-rootfs.${arch}.img`, ignition: `demo-live-ignition.${arch}.img`,
    });
    const grub = grubNetCfg({ profile: p, names, kargs: 'k', withIgnition: true });
    expect(grub).toContain(`menuentry 'Live ${arch} (PXE)' {`);
    expect(grub).toContain(`  linux /demo-live-kernel.${arch} k`);
    expect(grub).toContain(`  initrd /demo-live-initramfs.${arch}.img /demo-live-rootfs.${arch}.img /demo-live-ignition.${arch}.img`);
    for (const [, file] of pxeConfigFiles({ profile: p, names, kargs: 'k', withIgnition: true })) expect(file).toContain(arch);
  });
});

describe('kernel arguments', () => {
  it('live kargs carry the ISO label, first boot on metal and the profile console', () => {
    const k = liveKargs(profile, { isoLabel: 'day0-x' });
    expect(k.split(' ')).toEqual(['coreos.liveiso=day0-x', 'ignition.firstboot', 'ignition.platform.id=metal', 'console=tty0', 'console=ttyS0,115200n8']);
    expect(liveKargs(profile)).not.toContain('coreos.liveiso');
  });

  it('append then delete by exact match', () => {
    expect(editKargs(['a', 'b'], ['c'], ['a', 'zz'])).toEqual(['b', 'c']);
  });
});

describe('PXE boot configs', () => {
  const names = pxeNames('demo', 'x86_64');
  it('uses CoreOS artifact names', () => {
    expect(names).toMatchObject({
      kernel: 'demo-live-kernel.x86_64', initramfs: 'demo-live-initramfs.x86_64.img',
      rootfs: 'demo-live-rootfs.x86_64.img', ignition: 'demo-live-ignition.x86_64.img',
    });
  });
  it('iPXE names every initrd so BIOS and UEFI iPXE pass them all', () => {
    const s = ipxeScript({ profile, names, kargs: 'ignition.firstboot', withIgnition: true });
    expect(s.split('\n')).toEqual([
      '#!ipxe',
      'kernel demo-live-kernel.x86_64 initrd=demo-live-initramfs.x86_64.img initrd=demo-live-rootfs.x86_64.img initrd=demo-live-ignition.x86_64.img ignition.firstboot',
      'initrd --name demo-live-initramfs.x86_64.img demo-live-initramfs.x86_64.img',
      'initrd --name demo-live-rootfs.x86_64.img demo-live-rootfs.x86_64.img',
      'initrd --name demo-live-ignition.x86_64.img demo-live-ignition.x86_64.img',
      'boot',
      '',
    ]);
    expect(ipxeScript({ profile, names, kargs: 'k', withIgnition: false })).not.toContain('ignition.x86_64.img');
  });
  it('pxelinux lists initrds comma-separated', () => {
    expect(pxelinuxCfg({ profile, names, kargs: 'k', withIgnition: true })).toContain('APPEND initrd=demo-live-initramfs.x86_64.img,demo-live-rootfs.x86_64.img,demo-live-ignition.x86_64.img k');
  });
});
