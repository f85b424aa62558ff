// The CHRP boot layout of a live ISO for Open Firmware (IBM Power: SLOF under QEMU pseries, PowerVM, OPAL's
// petitboot reads the GRUB config instead). Open Firmware boots a CD by reading `ppc/bootinfo.txt` from the ISO 9660
// tree and running its <boot-script>, which loads a GRUB powerpc-ieee1275 ELF; GRUB then reads the grub.cfg that
// carries the kernel-argument embed area. No El Torito entry is involved. Pure: paths and text.

import { grubIsoEmbeddedCfg } from './iso-layout.js';

/** Paths inside the ISO (their level-1 names, BOOTINFO.TXT and POWERPC.ELF, are already 8.3). */
export const CHRP_PATHS = {
  bootinfo: 'ppc/bootinfo.txt',
  grubElf: 'boot/grub/powerpc.elf',
  grubCfg: 'boot/grub/grub.cfg',
} as const;

/** The GRUB prefix built into the ELF: its config directory on the boot device. */
export const CHRP_GRUB_PREFIX = '/boot/grub';

/** ppc/bootinfo.txt: Open Firmware's boot script loads the GRUB ELF from the device it read this file from. */
export function chrpBootinfo(description: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const elf = `\\${CHRP_PATHS.grubElf.replaceAll('/', '\\')}`;
  return [
    '<chrp-boot>',
    `<description>${esc(description)}</description>`,
    `<os-name>${esc(description)}</os-name>`,
    `<boot-script>boot &device;:,${elf}</boot-script>`,
    '</chrp-boot>',
    '',
  ].join('\n');
}

/** GRUB config built into the ELF: find the ISO by its label and read the area-carrying grub.cfg there. */
export function chrpEmbeddedCfg(volumeLabel: string): string {
  return grubIsoEmbeddedCfg(volumeLabel, CHRP_PATHS.grubCfg);
}
