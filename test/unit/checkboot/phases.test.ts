// Boot phases from console lines, on logs written the way SeaBIOS (sercon), OVMF/AAVMF, GRUB 2, ISOLINUX, iPXE,
// Linux 6.1, dracut 059 with systemd 252 and Debian's Ignition 2.14 print them on a serial console.
import { describe, expect, it } from 'vitest';
import { BOOT_PHASES, cleanConsoleLine, phaseDurations, phaseOfLine, PhaseTracker, type PhaseChange } from '../../../src/checkboot/phases.js';

const NONCE = '0f1e2d3c4b5a6978';
const MARKER = `DAY0-BOOT-CHECK ${NONCE} OK`;

/** Lines after the firmware's, from the kernel to the marker (the same on every medium). */
const LINUX = [
  '[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)',
  '[    0.000000] Command line: BOOT_IMAGE=/images/pxeboot/vmlinuz coreos.liveiso=DAY0LIVE ignition.firstboot ignition.platform.id=metal console=tty0 console=ttyS0,115200n8',
  '[    0.000000] Kernel command line: coreos.liveiso=DAY0LIVE ignition.firstboot ignition.platform.id=metal console=tty0 console=ttyS0,115200n8',
  '[    1.873112] Freeing initrd memory: 61400K',
  '[    2.905511] Run /init as init process',
  '[    3.101020] systemd[1]: systemd 252.31-1~deb12u1 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)',
  '[    3.102331] systemd[1]: Detected virtualization qemu.',
  '[    3.102900] systemd[1]: Running in initrd.',
  '',
  'Welcome to \x1b[1mDebian GNU/Linux 12 (bookworm) dracut-059-4 (Initramfs)\x1b[0m!',
  '',
  '[\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mlocal-fs.target\x1b[0m - Local File Systems.',
  '         Starting \x1b[0;1;39mdracut-cmdline.service\x1b[0m - dracut cmdline hook...',
  '[    4.551230] dracut-cmdline[211]: dracut-059-4',
  '         Starting \x1b[0;1;39mday0-ignition-user.service\x1b[0m - Hand the embedded Ignition config to Ignition...',
  '[  OK  ] Finished day0-ignition-user.service - Hand the embedded Ignition config to Ignition.',
  '         Starting \x1b[0;1;39migni…h-offline.service\x1b[0m - Ignition (fetch-offline)...',
  '[    9.120000] ignition[612]: Ignition 2.14.0',
  '[    9.121000] ignition[612]: Stage: fetch-offline',
  '[  OK  ] Finished ignition-fetch-offline.service - Ignition (fetch-offline).',
  '         Starting ignition-kargs.service - Ignition (kargs)...',
  '[  OK  ] Finished ignition-kargs.service - Ignition (kargs).',
  '         Starting ignition-disks.service - Ignition (disks)...',
  '[   12.400000] ignition[650]: Stage: disks',
  '[  OK  ] Finished ignition-disks.service - Ignition (disks).',
  '         Starting ignition-mount.service - Ignition (mount)...',
  '         Starting \x1b[0;1;39mignition-files.service\x1b[0m - Ignition (files)...',
  '[   14.230000] ignition[701]: Stage: files',
  '[   15.300000] ignition[701]: Ignition finished successfully',
  '[  OK  ] Finished ignition-files.service - Ignition (files).',
  '[  OK  ] Reached target ignition-complete.target - Ignition Complete.',
  '[  OK  ] Stopped target ignition-complete.target - Ignition Complete.',
  '[  OK  ] Stopped ignition-files.service - Ignition (files).',
  '[  OK  ] Reached target initrd-switch-root.target - Switch Root.',
  '         Starting initrd-switch-root.service - Switch Root...',
  '[   17.002000] systemd[1]: Switching root.',
  '[   17.900000] systemd[1]: systemd 252.31-1~deb12u1 running in system mode (+PAM +AUDIT)',
  '',
  'Welcome to \x1b[1mDebian GNU/Linux 12 (bookworm)\x1b[0m!',
  '',
  '[  OK  ] Reached target multi-user.target - Multi-User System.',
  '         Starting day0-boot-check.service - day0 boot check...',
  MARKER,
  // after the marker nothing moves
  '[   30.000000] Run /init as init process',
];

/** Push lines one second apart from `t0`; collect the changes. */
function feed(tr: PhaseTracker, lines: string[], t0: number): PhaseChange[] {
  const out: PhaseChange[] = [];
  lines.forEach((l, i) => {
    const c = tr.push(l, t0 + i);
    if (c) out.push(c);
  });
  return out;
}

const AFTER_BOOTLOADER = ['kernel', 'initramfs', 'ignition-fetch', 'ignition-disks', 'ignition-files', 'switch-root', 'marker'];

describe('PhaseTracker', () => {
  it('SeaBIOS + ISOLINUX (ISO under BIOS): every phase in order, with the line that started it', () => {
    const tr = new PhaseTracker({ marker: MARKER });
    const firmware = [
      'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
      '',
      'iPXE (http://ipxe.org) 00:02.0 CA00 PCI2.10 PnP PMM+BEFD0C40+BEF30C40 CA00',
      '',
      'Booting from DVD/CD...',
      'ISOLINUX 6.04 20200816 ETCD Copyright (C) 1994-2015 H. Peter Anvin et al',
      'Loading /images/pxeboot/vmlinuz... ok',
      'Loading /images/pxeboot/initrd.img...ok',
    ];
    const changes = feed(tr, [...firmware, ...LINUX], 0.5);
    expect(changes.map((c) => c.phase)).toEqual(['bootloader', ...AFTER_BOOTLOADER]);
    expect(changes[0]).toEqual({ phase: 'bootloader', previous: 'firmware', t: 4.5, line: 'Booting from DVD/CD...' });
    expect(changes[1]?.line).toMatch(/^\[ {4}0\.000000\] Linux version 6\.1\.0/);
    expect(changes[2]?.line).toBe('[    2.905511] Run /init as init process');
    expect(changes[3]?.line).toBe('Starting day0-ignition-user.service - Hand the embedded Ignition config to Ignition...');
    expect(changes[4]?.line).toBe('Starting ignition-disks.service - Ignition (disks)...');
    expect(changes[5]?.line).toBe('Starting ignition-files.service - Ignition (files)...');
    expect(changes[6]?.line).toBe('[  OK  ] Reached target initrd-switch-root.target - Switch Root.');
    expect(changes[7]?.line).toBe(MARKER);
    const spans = tr.phases();
    expect(spans.map((s) => s.phase)).toEqual(BOOT_PHASES);
    expect(spans[0]).toEqual({ phase: 'firmware', start: 0, end: 4.5 });
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBe(spans[i - 1]!.end);
    const marker = spans.at(-1)!;
    expect(marker.end).toBe(marker.start);
    expect(tr.current).toBe('marker');
  });

  it('OVMF + GRUB (ISO or disk under UEFI): BdsDxe starting the boot option begins the bootloader', () => {
    const tr = new PhaseTracker({ marker: MARKER });
    const firmware = [
      'BdsDxe: loading Boot0001 "UEFI QEMU DVD-ROM QM00001 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)',
      'BdsDxe: starting Boot0001 "UEFI QEMU DVD-ROM QM00001 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)',
      'Welcome to GRUB!',
      '\x1b[2J\x1b[1;1H                             GNU GRUB  version 2.06-13+deb12u1',
      '   The highlighted entry will be executed automatically in 1s.',
      'EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path',
      'EFI stub: Measured initrd data into PCR 9',
    ];
    const changes = feed(tr, [...firmware, ...LINUX], 2);
    expect(changes.map((c) => c.phase)).toEqual(['bootloader', ...AFTER_BOOTLOADER]);
    expect(changes[0]?.line).toMatch(/^BdsDxe: starting Boot0001/);
    expect(changes[0]?.t).toBe(3);
    expect(changes[1]?.line).toBe('EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path');
  });

  it('"Welcome to GRUB!" is the bootloader, not the real root\'s systemd welcome', () => {
    expect(phaseOfLine('Welcome to GRUB!')).toBe('bootloader');
    expect(phaseOfLine('Welcome to \x1b[1mDebian GNU/Linux 12 (bookworm)\x1b[0m!')).toBe('switch-root');
    expect(phaseOfLine('Welcome to Debian GNU/Linux 12 (bookworm) dracut-059-4 (Initramfs)!')).toBe('initramfs');
  });

  it('direct kernel boot (PXE, -kernel): SeaBIOS boots the linuxboot ROM, there is no bootloader output after it', () => {
    const tr = new PhaseTracker();
    const changes = feed(tr, ['SeaBIOS (version 1.16.2-debian-1.16.2-1)', 'Booting from ROM..', ...LINUX.map((l) => l.replace(NONCE, 'abcdef0123456789'))], 0);
    expect(changes.map((c) => c.phase)).toEqual(['bootloader', ...AFTER_BOOTLOADER]); // default marker pattern
  });

  it('network boot: iPXE\'s POST banner is firmware; iPXE running is the bootloader', () => {
    const tr = new PhaseTracker({ marker: MARKER });
    const changes = feed(tr, [
      'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
      'iPXE (http://ipxe.org) 00:03.0 C000 PCI2.10 PnP PMM+7EFD0C40+7EF30C40 C000',
      'iPXE (PCI 00:03.0) starting execution...ok',
      'iPXE initialising devices...ok',
      'iPXE 1.21.1+git20220113.fbbdc3926-0ubuntu2 -- Open Source Network Boot Firmware -- https://ipxe.org',
      'net0: 52:54:00:12:34:56 using virtio-net on 0000:00:03.0 (Ethernet) [open]',
      'Configuring (net0 52:54:00:12:34:56)...... ok',
      'http://10.0.2.2:8086/demo-live.x86_64.ipxe... ok',
      'http://10.0.2.2:8086/demo-live-kernel.x86_64... ok',
      ...LINUX,
    ], 0);
    expect(changes.map((c) => [c.phase, c.t])).toEqual([
      ['bootloader', 3],
      ...AFTER_BOOTLOADER.map((p) => [p, expect.any(Number)]),
    ]);
  });

  it('a quiet kernel (no printk lines): the kernel phase is skipped, its time counts to the bootloader', () => {
    const tr = new PhaseTracker({ marker: MARKER });
    const quiet = LINUX.filter((l) => !/^\[ +\d/.test(l));
    const changes = feed(tr, ['Booting from Hard Disk...', 'GNU GRUB  version 2.06-13+deb12u1', ...quiet], 0);
    expect(changes.map((c) => c.phase)).toEqual(['bootloader', 'initramfs', 'ignition-fetch', 'ignition-disks', 'ignition-files', 'switch-root', 'marker']);
    expect(changes[1]?.line).toBe('Welcome to Debian GNU/Linux 12 (bookworm) dracut-059-4 (Initramfs)!');
    expect(phaseDurations(tr.phases()).kernel).toBeUndefined();
  });

  it('phases only move forward: a late "Stopped ignition-fetch" or a kernel line after switch-root changes nothing', () => {
    const tr = new PhaseTracker();
    expect(tr.push('[  OK  ] Reached target initrd-switch-root.target - Switch Root.', 20)?.phase).toBe('switch-root');
    expect(tr.push('[  OK  ] Stopped ignition-fetch.service - Ignition (fetch).', 21)).toBeUndefined();
    expect(tr.push('[   22.000000] virtio_net virtio0 enp0s3: renamed from eth0', 22)).toBeUndefined();
    expect(tr.phases()).toEqual([
      { phase: 'firmware', start: 0, end: 20 },
      { phase: 'switch-root', start: 20, end: 22 },
    ]);
  });

  it('a failed boot stops in its phase; the open phase ends at the last time seen (tick without lines)', () => {
    const tr = new PhaseTracker({ marker: MARKER });
    tr.push('Booting from DVD/CD...', 1);
    tr.push('[    2.905511] Run /init as init process', 10);
    tr.push('         Starting ignition-fetch-offline.service - Ignition (fetch-offline)...', 30);
    tr.push('[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mignition-fetch-offline.service\x1b[0m - Ignition (fetch-offline).', 31);
    tr.tick(45);
    expect(tr.current).toBe('ignition-fetch');
    expect(tr.phases().at(-1)).toEqual({ phase: 'ignition-fetch', start: 30, end: 45 });
    expect(phaseDurations(tr.phases())).toEqual({ firmware: 1, bootloader: 9, initramfs: 20, 'ignition-fetch': 15 });
  });

  it('a fail marker ends the boot too; an unrelated nonce is not this run\'s marker', () => {
    const tr = new PhaseTracker({ marker: `DAY0-BOOT-CHECK ${NONCE}` });
    expect(tr.push('DAY0-BOOT-CHECK 1111111111111111 OK', 5)).toBeUndefined();
    expect(tr.push(`DAY0-BOOT-CHECK ${NONCE} FAIL missing-file:/etc/x`, 6)?.phase).toBe('marker');
  });

  it('the kernel command line naming ignition.* or the marker unit starting does not count as Ignition or marker', () => {
    expect(phaseOfLine('[    0.000000] Kernel command line: ignition.firstboot ignition.platform.id=qemu')).toBe('kernel');
    expect(phaseOfLine('         Starting day0-boot-check.service - day0 boot check...')).toBeUndefined();
    expect(phaseOfLine('[  OK  ] Finished ignition-kargs.service - Ignition (kargs).')).toBe('ignition-fetch');
    expect(phaseOfLine('         Starting ignition-mount.service - Ignition (mount)...')).toBe('ignition-disks');
    expect(phaseOfLine('[   14.230000] ignition[701]: Stage: files')).toBe('ignition-files');
  });

  it('times never run backwards', () => {
    const tr = new PhaseTracker();
    tr.push('Booting from ROM..', 5);
    const c = tr.push('[    0.000000] Linux version 6.1.0-28-amd64', 4);
    expect(c?.t).toBe(5);
  });
});

describe('cleanConsoleLine', () => {
  it('removes colour, cursor moves and control characters', () => {
    expect(cleanConsoleLine('\x1bM\r\x1b[K[\x1b[0;1;31mFAILED\x1b[0m] x\r')).toBe('[FAILED] x');
    expect(cleanConsoleLine('\x1b]0;title\x07ok\t')).toBe('ok');
  });
});
