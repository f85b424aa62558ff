import { describe, expect, it } from 'vitest';
import { grubCfg, isolinuxCfg, kargsJson, volumeLabel, KARGS_MARKER } from '../../../src/media/iso-layout.js';
import { liveKargs, editKargs } from '../../../src/media/kargs.js';
import { ipxeScript, pxeNames, pxelinuxCfg } from '../../../src/media/pxe.js';
import { loadProfile } from '../../../src/profiles/load.js';

const profile = await loadProfile('x86_64');

describe('live ISO layout', () => {
  it('puts a kargs area of exactly `size` bytes at the recorded offset in both bootloader configs', () => {
    const kargs = 'coreos.liveiso=day0-abc ignition.firstboot';
    for (const cfg of [grubCfg(profile, kargs, 1024), isolinuxCfg(kargs, 1024)]) {
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
    expect(isolinuxCfg('a', 64).text).toContain('append initrd=/images/pxeboot/initrd.img,/images/ignition.img ');
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
