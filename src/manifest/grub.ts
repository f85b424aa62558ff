// GRUB configuration and Boot Loader Specification entries for day0 disk images (CoreOS-like).
//
// What to boot lives in a BLS entry on the partition labelled `boot` (/loader/entries/*.conf: title, version,
// linux, initrd, options), as on CoreOS, so that coreos-installer's --append-karg, --delete-karg, --console and
// --platform, which edit the entries' `options` lines, take effect. Debian's GRUB 2.06 has no `blscfg` module, so
// grub.cfg reads the entries itself: while an entry is read with `source`, every BLS key is a GRUB function that
// stores its value, and the linux loader module is loaded only afterwards (the boot partition's module directory
// has no autoload entry for `linux`/`initrd`, and the EFI images do not build it in), so the entry's `linux` and
// `initrd` lines are data, not commands. One grub.cfg serves BIOS GRUB (core.img prefix (,gptN)/grub2), Open
// Firmware (PReP core image, same prefix) and EFI GRUB (EFI/BOOT/grub.cfg on the ESP finds `boot` by label and
// configfiles it). First boot: the options carry `$ignition_firstboot` (CoreOS's spelling), which grub.cfg sets to
// `ignition.firstboot` only while /ignition.firstboot exists on `boot`; the image's initramfs removes the flag once
// Ignition has run.
import { grubTerminal, type Console } from '../profiles/console.js';
import { Day0Error } from '../util/errors.js';

/** Where GRUB looks on the boot partition (CoreOS: /boot/grub2). */
export const GRUB_DIR = '/grub2';
/** Where the BLS entries live on the boot partition. */
export const BLS_DIR = '/loader/entries';
/** GRUB's console commands sit between these lines, which coreos-installer's --console rewrites. */
export const CONSOLE_START = '# CONSOLE-SETTINGS-START';
export const CONSOLE_END = '# CONSOLE-SETTINGS-END';
/** The token in a BLS `options` line that GRUB expands to `ignition.firstboot` on first boot. */
export const FIRSTBOOT_TOKEN = '$ignition_firstboot';
/**
 * GRUB modules the boot partition's module directory must not autoload, and EFI images must not build in: while
 * grub.cfg reads a BLS entry, `linux`/`initrd` must be unknown commands so that its functions of those names run.
 */
export const DEFERRED_GRUB_MODULES = ['linux'];
/**
 * In the builder: per GRUB target, a copy of /usr/lib/grub/<target> whose command.lst has no autoload entries for
 * the deferred modules' commands (builder/Containerfile makes it). Disk images' boot partitions get these.
 */
export const GRUB_BOOT_MODULES_DIR = '/usr/lib/day0/grub';

export interface BlsEntry {
  title: string;
  version: string;
  /** Paths on the boot partition, e.g. /vmlinuz-6.1.0-28-amd64. */
  linux: string;
  initrd: string[];
  /** Kernel arguments; FIRSTBOOT_TOKEN is added at the end unless present. */
  options: string[];
}

// A BLS value is read by GRUB's script parser: nothing it would expand, quote, split or end a command at.
const UNSAFE = /[\s"'\\$;&|<>{}#`]/;

/** Check one kernel argument for a BLS `options` line; FIRSTBOOT_TOKEN is the one `$` allowed. */
export function checkBlsKarg(arg: string): void {
  if (arg === FIRSTBOOT_TOKEN) return;
  if (!arg || UNSAFE.test(arg)) {
    throw new Day0Error(`kernel argument ${JSON.stringify(arg)} cannot go into a boot loader entry: it is empty or has whitespace, a quote, a backslash or one of $ ; & | < > { } # \``, {
      fix: 'pass plain kernel arguments (letters, digits and , . : = / + @ % - _ ), one per --karg-append',
    });
  }
}

function checkValue(what: string, v: string): void {
  if (!v || /[\n\r\0]/.test(v) || UNSAFE.test(v.replace(/ /g, ''))) throw new Day0Error(`boot loader entry ${what} ${JSON.stringify(v)} has characters GRUB would interpret`, { fix: 'use letters, digits, spaces and . , : / + @ % - _ ( ) only' });
}

/** The text of a BLS entry (Boot Loader Specification type #1), keys in the order coreos-installer keeps. */
export function blsEntryText(e: BlsEntry): string {
  checkValue('title', e.title);
  checkValue('version', e.version);
  for (const p of [e.linux, ...e.initrd]) if (!p.startsWith('/') || UNSAFE.test(p)) throw new Day0Error(`boot loader entry path ${JSON.stringify(p)} is not a plain absolute path`, { fix: 'kernel and initramfs paths are absolute paths on the boot partition' });
  for (const a of e.options) checkBlsKarg(a);
  const options = e.options.includes(FIRSTBOOT_TOKEN) ? e.options : [...e.options, FIRSTBOOT_TOKEN];
  return [
    `title ${e.title}`,
    `version ${e.version}`,
    `linux ${e.linux}`,
    ...e.initrd.map((i) => `initrd ${i}`),
    `options ${options.join(' ')}`,
    '',
  ].join('\n');
}

/** The kernel arguments of a BLS entry's `options` line(s), in order. */
export function blsOptions(text: string): string[] {
  return text.split('\n').filter((l) => /^options(\s|$)/.test(l)).flatMap((l) => l.slice('options'.length).trim().split(/\s+/).filter(Boolean));
}

/**
 * Edit a BLS entry's kernel arguments the way coreos-installer's --delete-karg/--append-karg do: the `options`
 * line is rewritten in place (every other line kept as is), deleted arguments removed, appended ones added at the
 * end unless already present.
 */
export function editBlsOptions(text: string, edit: { append?: string[]; delete?: string[] }): string {
  for (const a of edit.append ?? []) checkBlsKarg(a);
  const del = new Set(edit.delete ?? []);
  let seen = false;
  const out = text.split('\n').map((l) => {
    if (!/^options(\s|$)/.test(l)) return l;
    seen = true;
    const args = blsOptions(l).filter((a) => !del.has(a));
    for (const a of edit.append ?? []) if (!args.includes(a)) args.push(a);
    return `options ${args.join(' ')}`;
  });
  if (!seen) throw new Day0Error('the boot loader entry has no options line', { fix: 'is this a BLS entry (loader/entries/*.conf)?' });
  return out.join('\n');
}

export interface BootGrubCfg {
  /** The console GRUB talks on (the profile's primary console). */
  console: Console;
  timeoutSeconds?: number;
}

// Every BLS key day0 writes or a BLS entry commonly carries, as the GRUB function that stores it. Keys with a dash
// (machine-id, sort-key) cannot be GRUB function names: day0 does not write them.
const BLS_READERS = [
  'function title { set bls_title="$*"; }',
  'function version { set bls_version="$*"; }',
  'function architecture { set bls_architecture="$*"; }',
  'function options { set bls_options="$bls_options $*"; }',
  'function linux { set bls_linux="$1"; }',
  'function initrd { set bls_initrd="$bls_initrd $*"; }',
  'function devicetree { set bls_devicetree="$1"; }',
];

export function bootGrubCfg(o: BootGrubCfg): string {
  const lines = [
    '# day0: GRUB configuration on the partition labelled "boot".',
    '# BIOS/Open Firmware: the core image loads it through its prefix; UEFI: EFI/BOOT/grub.cfg on the ESP finds it.',
    `# What to boot comes from the Boot Loader Specification entries in ${BLS_DIR}/*.conf (kernel, initrd,`,
    '# kernel arguments): edit those, not this file. This GRUB has no blscfg module: each entry is read with',
    '# `source` while its keys are the functions below, and the linux module is loaded only after that.',
    `set timeout=${o.timeoutSeconds ?? 1}`,
    'set default=0',
    CONSOLE_START,
    ...grubTerminal(o.console),
    CONSOLE_END,
    'search --no-floppy --label boot --set root',
    '# First boot: Ignition runs while /ignition.firstboot exists (the initramfs removes it after Ignition).',
    'set ignition_firstboot=""',
    'if [ -f /ignition.firstboot ]; then',
    '  set ignition_firstboot="ignition.firstboot"',
    'fi',
    ...BLS_READERS,
    'function day0_bls_read {',
    '  set bls_title=""',
    '  set bls_options=""',
    '  set bls_linux=""',
    '  set bls_initrd=""',
    '  set bls_devicetree=""',
    '  source "$1"',
    '}',
    'function day0_bls_boot {',
    '  day0_bls_read "$1"',
    '  insmod linux',
    '  linux $bls_linux $bls_options',
    '  initrd $bls_initrd',
    '  if [ -n "$bls_devicetree" ]; then devicetree $bls_devicetree; fi',
    '}',
    'insmod regexp',
    `for bls_file in ($root)${BLS_DIR}/*.conf; do`,
    '  if [ -f "$bls_file" ]; then',
    '    day0_bls_read "$bls_file"',
    '    menuentry "$bls_title" --id "$bls_file" {',
    '      day0_bls_boot "$chosen"',
    '    }',
    '  fi',
    'done',
    '',
  ];
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
