// GRUB configuration for day0 disk images (CoreOS-like): one grub.cfg on the `boot` partition, read by BIOS GRUB
// (core.img prefix (,gptN)/grub2) and by EFI GRUB (EFI/BOOT/grub.cfg on the ESP finds `boot` by label and
// configfiles it). First boot: `ignition.firstboot` is added only while /ignition.firstboot exists on `boot`;
// the image's initramfs removes the flag once Ignition's files stage has run.
import { grubTerminal, type Console } from '../profiles/console.js';
import { Day0Error } from '../util/errors.js';

/** Where GRUB looks on the boot partition (CoreOS: /boot/grub2). */
export const GRUB_DIR = '/grub2';

/** Quote one kernel argument for a GRUB `linux` line: plain tokens stay as they are, others get single quotes. */
export function grubQuote(arg: string): string {
  if (/[\n\r\0]/.test(arg)) throw new Day0Error(`kernel argument contains a line break or NUL: ${JSON.stringify(arg)}`, { fix: 'pass each kernel argument without control characters' });
  if (/^[A-Za-z0-9_.,:=/+@%-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface BootGrubCfg {
  title: string;
  kernelVersion: string;
  /** Kernel file names at the root of the boot partition. */
  vmlinuz: string;
  initramfs: string;
  kargs: string[];
  /** The console GRUB talks on (the profile's primary console). */
  console: Console;
  timeoutSeconds?: number;
}

export function bootGrubCfg(o: BootGrubCfg): string {
  const lines = [
    '# day0: GRUB configuration on the partition labelled "boot".',
    '# BIOS: core.img loads it through its prefix; UEFI: EFI/BOOT/grub.cfg on the ESP finds it by label.',
    `set timeout=${o.timeoutSeconds ?? 1}`,
    'set default=0',
  ];
  lines.push(...grubTerminal(o.console));
  lines.push(
    'search --no-floppy --label boot --set root',
    '# First boot: Ignition runs while /ignition.firstboot exists (the initramfs removes it after Ignition).',
    'set ignition_firstboot=""',
    'if [ -f /ignition.firstboot ]; then',
    '  set ignition_firstboot="ignition.firstboot"',
    'fi',
    `menuentry ${grubQuote(`${o.title} (${o.kernelVersion})`)} --id day0 {`,
    `  linux /${o.vmlinuz} ${o.kargs.map(grubQuote).join(' ')} \${ignition_firstboot}`,
    `  initrd /${o.initramfs}`,
    '}',
    '',
  );
  return lines.join('\n');
}

/** EFI/BOOT/grub.cfg on the ESP: find `boot` and hand over to its grub.cfg. */
export function efiStubGrubCfg(): string {
  return [
    '# day0: hand over to the grub.cfg on the partition labelled "boot".',
    'search --no-floppy --label boot --set root',
    `set prefix=($root)${GRUB_DIR}`,
    `configfile ($root)${GRUB_DIR}/grub.cfg`,
    '',
  ].join('\n');
}
