// The files of a CoreOS-style live ISO that day0 writes itself: bootloader configs with kernel-argument embed
// areas, igninfo.json and kargs.json. Pure: text in, text out, offsets computed here and recorded in kargs.json.
import { grubTerminal, parseConsole, primaryConsole } from '../profiles/console.js';
import type { Profile } from '../profiles/schema.js';

export const KARGS_MARKER = 'COREOS_KARG_EMBED_AREA';

/** Paths inside the ISO (as Rock Ridge shows them; their level-1 names are the upper-case 8.3 forms). */
export const ISO_PATHS = {
  kernel: 'images/pxeboot/vmlinuz',
  initrd: 'images/pxeboot/initrd.img',
  rootfs: 'images/pxeboot/rootfs.img',
  ignition: 'images/ignition.img',
  efiboot: 'images/efiboot.img',
  grubCfg: 'EFI/BOOT/grub.cfg',
  isolinuxCfg: 'isolinux/isolinux.cfg',
  igninfo: 'coreos/igninfo.json',
  kargs: 'coreos/kargs.json',
  features: 'coreos/features.json',
} as const;

export interface ConfigWithArea {
  text: string;
  /** Byte offset of the kargs area in the file. */
  offset: number;
}

/** Lay out `before + area + after`, where the area holds kargs + "\n" padded with "#" to `size` bytes. */
function withArea(before: string, kargs: string, size: number, after: string): ConfigWithArea {
  const content = `${kargs}\n`;
  if (Buffer.byteLength(content) > size) {
    throw new Error(`kernel arguments (${Buffer.byteLength(content)} bytes) exceed the ${size}-byte embed area`);
  }
  const area = content + '#'.repeat(size - Buffer.byteLength(content));
  return { text: before + area + after, offset: Buffer.byteLength(before) };
}

export function grubCfg(p: Profile, kargs: string, areaSize: number): ConfigWithArea {
  const before = [
    ...grubTerminal(primaryConsole(p.console.devices)),
    'set timeout=1',
    'set default=0',
    '',
    `menuentry 'Live ${p.arch}' --class gnu-linux {`,
    `  linux /${ISO_PATHS.kernel} `,
  ].join('\n');
  const after = [` ${KARGS_MARKER}`, `  initrd /${ISO_PATHS.initrd} /${ISO_PATHS.ignition}`, '}', ''].join('\n');
  return withArea(before, kargs, areaSize, after);
}

export function isolinuxCfg(p: Profile, kargs: string, areaSize: number): ConfigWithArea {
  const uart = p.console.devices.map(parseConsole).find((c) => c.kind === 'ns16550');
  const before = [
    ...(uart ? [`serial ${uart.index} ${uart.speed ?? 115200}`] : []),
    'default live',
    'prompt 0',
    'timeout 10',
    '',
    'label live',
    `  kernel /${ISO_PATHS.kernel}`,
    `  append initrd=/${ISO_PATHS.initrd},/${ISO_PATHS.ignition} `,
  ].join('\n');
  return withArea(before, kargs, areaSize, ` ${KARGS_MARKER}\n`);
}

/** GRUB config built into the EFI binary: find the ISO by its label and read the area-carrying grub.cfg there. */
export function grubEfiEmbeddedCfg(volumeLabel: string): string {
  return grubIsoEmbeddedCfg(volumeLabel, ISO_PATHS.grubCfg);
}

/** A GRUB image's built-in config on a live ISO: find the ISO by its label, then read `cfgPath` (its dir = prefix). */
export function grubIsoEmbeddedCfg(volumeLabel: string, cfgPath: string): string {
  return [
    `search --no-floppy --label ${volumeLabel} --set=root`,
    `set prefix=($root)/${cfgPath.slice(0, cfgPath.lastIndexOf('/'))}`,
    `configfile ($root)/${cfgPath}`,
    '',
  ].join('\n');
}

/** coreos/igninfo.json: the Ignition area is `file` (the whole file), or `length` bytes of it from `offset`. */
export function igninfoJson(area: { file: string; offset?: number; length?: number } = { file: ISO_PATHS.ignition }): string {
  return `${JSON.stringify(area)}\n`;
}

/** A kargs area in a file: bootloader configs pad with "#" and end with "\n"; binary areas use NUL for both. */
export interface KargsFile {
  path: string;
  offset: number;
  pad?: string;
  end?: string;
}

export function kargsJson(defaultKargs: string, size: number, files: KargsFile[]): string {
  return `${JSON.stringify({ default: defaultKargs, files: files.map((f) => ({ path: f.path, offset: f.offset, pad: f.pad ?? '#', end: f.end ?? '\n' })), size }, null, 2)}\n`;
}

/** ISO 9660 volume labels: at most 32 characters; keep to what udev's by-label and GRUB's search take as is. */
export function volumeLabel(prefix: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '').slice(0, 12);
  return `${prefix}-${hex}`.slice(0, 32);
}
