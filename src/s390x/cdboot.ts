// IBM Z boot images of a live ISO. Pure: layouts, header bytes and texts; src/media/iso.ts streams the files.
//
// images/cdboot.img is one IPL image: the kernel (an s390 "image" file, loaded at address 0: IPL PSW at 0, the
// startup code at 0x10000 with "S390EP" at 0x10008, the parameter area at 0x10400), then the initrd at an aligned
// offset. The kernel finds the initrd through the parameter area (start and size as big-endian u64 at 0x10408 and
// 0x10410) and its command line at 0x10480. s390-ccw firmware (QEMU) and the machine loader (LPAR, z/VM) load the
// whole file at address 0 when it is the ISO's El Torito no-emulation image, and jump to the kernel.
//
// coreos-installer's embed areas live inside this file:
//   kargs     the command line at 0x10480, 896 bytes, kargs then NUL, NUL padding (coreos/kargs.json pad/end "\0")
//   Ignition  the initrd's last bytes (coreos/igninfo.json `{"file": "images/cdboot.img", "offset", "length"}`):
//             zeros = no config; otherwise a compressed cpio with config.ign, which the kernel unpacks after the
//             initramfs (zero padding between concatenated initrds is allowed at 4-byte boundaries).
// Beside it, for loaders that take separate files: generic.ins (HMC "load from removable media"), cdboot.prm (the
// parmfile) and images/initrd.addrsize (initrd load address and size, for the parameter area).

import { Day0Error } from '../util/errors.js';

/** Offsets in the kernel image (= addresses, the image is loaded at 0). */
export const S390_PARM = {
  /** "S390EP": the kernel's startup entry marker. */
  entryMagic: 0x10008,
  initrdStart: 0x10408,
  initrdSize: 0x10410,
  commandLine: 0x10480,
} as const;
export const S390_ENTRY_MAGIC = 'S390EP';
/** The legacy command-line size: what coreos-installer's kargs area for cdboot.img holds. */
export const CDBOOT_CMDLINE_SIZE = 896;
/** The initrd's lowest offset in cdboot.img (as IBM's mk-s390-cdboot): past any kernel's early memory use. */
export const CDBOOT_MIN_INITRD_OFFSET = 0x800000;
/** Where generic.ins loads the separate initrd (and initrd.addrsize says so). */
export const INS_INITRD_ADDRESS = 0x02000000;

/** Paths in the ISO. */
export const S390_ISO_PATHS = {
  cdboot: 'images/cdboot.img',
  parmfile: 'images/cdboot.prm',
  addrsize: 'images/initrd.addrsize',
  ins: 'generic.ins',
} as const;

export interface CdbootLayout {
  kernelSize: number;
  initrdOffset: number;
  initramfsSize: number;
  /** The Ignition area: the last bytes of the initrd (and of the file). */
  ignitionOffset: number;
  ignitionLength: number;
  /** The initrd as the parameter area describes it: initramfs, padding, Ignition area. */
  initrdSize: number;
  totalSize: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

export function planCdboot(i: { kernelSize: number; initramfsSize: number; ignitionAreaSize: number }): CdbootLayout {
  if (i.kernelSize < S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE) {
    throw new Day0Error(`the kernel (${i.kernelSize} bytes) is too small to be an s390 IPL image`, { fix: 'the image must ship the s390x kernel "image" file (Debian\'s /boot/vmlinuz-*)' });
  }
  if (i.ignitionAreaSize <= 0 || i.ignitionAreaSize % 512 !== 0) throw new Error(`Ignition area size must be a positive multiple of 512, got ${i.ignitionAreaSize}`);
  const initrdOffset = Math.max(CDBOOT_MIN_INITRD_OFFSET, alignUp(i.kernelSize, 4096));
  // The Ignition area starts on a 4 KiB boundary after the initramfs (the kernel skips the zeros between).
  const ignitionOffset = alignUp(initrdOffset + i.initramfsSize, 4096);
  const totalSize = ignitionOffset + i.ignitionAreaSize;
  return {
    kernelSize: i.kernelSize,
    initrdOffset,
    initramfsSize: i.initramfsSize,
    ignitionOffset,
    ignitionLength: i.ignitionAreaSize,
    initrdSize: totalSize - initrdOffset,
    totalSize,
  };
}

/** Check the first 0x10800 bytes of a kernel: an s390 IPL image has its startup marker at 0x10008. */
export function checkS390Kernel(head: Uint8Array): void {
  const magic = Buffer.from(head.subarray(S390_PARM.entryMagic, S390_PARM.entryMagic + 6)).toString('latin1');
  if (magic !== S390_ENTRY_MAGIC) {
    throw new Day0Error(`the kernel is not an s390 IPL image (no "${S390_ENTRY_MAGIC}" at 0x10008)`, {
      fix: 'build the s390x media from the image\'s s390x kernel "image" file (not an ELF vmlinux, not another arch\'s kernel)',
    });
  }
}

/** The parameter-area patches of cdboot.img's kernel: initrd start and size, and the command-line area. */
export function cdbootParmPatches(layout: CdbootLayout, cmdlineArea: Uint8Array): { offset: number; bytes: Buffer }[] {
  if (cmdlineArea.length !== CDBOOT_CMDLINE_SIZE) throw new Error(`the command-line area must be ${CDBOOT_CMDLINE_SIZE} bytes`);
  const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
  return [
    { offset: S390_PARM.initrdStart, bytes: u64(layout.initrdOffset) },
    { offset: S390_PARM.initrdSize, bytes: u64(layout.initrdSize) },
    { offset: S390_PARM.commandLine, bytes: Buffer.from(cmdlineArea) },
  ];
}

/** What a cdboot.img's parameter area says (for reading one back). */
export function readCdbootParm(head: Uint8Array): { initrdStart: number; initrdSize: number; commandLine: string } {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE) throw new Error('too short for an s390 parameter area');
  const line = b.subarray(S390_PARM.commandLine, S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE);
  const nul = line.indexOf(0);
  return {
    initrdStart: Number(b.readBigUInt64BE(S390_PARM.initrdStart)),
    initrdSize: Number(b.readBigUInt64BE(S390_PARM.initrdSize)),
    commandLine: line.subarray(0, nul < 0 ? line.length : nul).toString('utf8'),
  };
}

/** images/initrd.addrsize: the initrd's load address and size as big-endian u64s (written to 0x10408 by the .ins). */
export function initrdAddrsize(initrdSize: number, address = INS_INITRD_ADDRESS): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(address), 0);
  b.writeBigUInt64BE(BigInt(initrdSize), 8);
  return b;
}

/**
 * The parmfile: kernel arguments in lines of at most 80 columns (z/VM's punch records; the kernel reads line
 * breaks as spaces). An argument longer than a line keeps a line of its own.
 */
export function parmfile(kargs: string): string {
  const lines: string[] = [];
  let cur = '';
  for (const a of kargs.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + a.length > 80) { lines.push(cur); cur = a; } else cur = cur ? `${cur} ${a}` : a;
  }
  if (cur) lines.push(cur);
  return lines.map((l) => `${l}\n`).join('');
}

/** The kernel arguments of a parmfile. */
export function kargsFromParmfile(text: string): string {
  return text.split(/\s+/).filter(Boolean).join(' ');
}

/** generic.ins: what the HMC's "load from removable media or server" loads where (paths from the ISO root). */
export function genericIns(p: { title: string; kernel: string; initrd: string; parmfile: string; addrsize: string }): string {
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  return [
    `* ${p.title}: the kernel, its initramfs, the parmfile and the initrd's address and size`,
    `${p.kernel} ${hex(0)}`,
    `${p.initrd} ${hex(INS_INITRD_ADDRESS)}`,
    `${p.parmfile} ${hex(S390_PARM.commandLine)}`,
    `${p.addrsize} ${hex(S390_PARM.initrdStart)}`,
    '',
  ].join('\n');
}
