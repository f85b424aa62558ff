// The files of a CoreOS-shaped live ISO, for tests: coreos/igninfo.json + a zeroed images/ignition.img, and
// coreos/kargs.json pointing at kernel-argument areas inside a GRUB and an isolinux config ("#" pad runs, as
// upstream's templates write them). Used with the byte-level test writer (unit) and with xorriso (integration).

import { writeIso, type IsoWriterFile } from './iso9660-writer.js';

export const VOLUME_ID = 'DAY0TEST';
export const DEFAULT_KARGS = `coreos.liveiso=${VOLUME_ID} ignition.firstboot ignition.platform.id=metal`;
export const KARGS_SIZE = 1024;

/** A bootloader config with a kargs area: returns the text and the area's offset within it. */
function bootConfig(before: string, after: string): { text: Buffer; offset: number } {
  const prefix = before;
  const area = `${DEFAULT_KARGS}\n`.padEnd(KARGS_SIZE, '#');
  return { text: Buffer.from(`${prefix}${area} COREOS_KARG_EMBED_AREA\n${after}`), offset: Buffer.byteLength(prefix) };
}

export interface CoreosIsoTree {
  /** Paths as on the staging directory (lower case, long names) → contents. */
  files: Map<string, Buffer>;
}

/** The ISO level-1 (8.3, upper case) form of a path: "coreos/igninfo.json" → "COREOS/IGNINFO.JSO". */
export function level1Path(path: string): string {
  const clean = (s: string, n: number): string => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, n);
  return path
    .split('/')
    .map((part, i, all) => {
      if (i < all.length - 1) return clean(part, 8);
      const dot = part.lastIndexOf('.');
      return dot < 0 ? clean(part, 8) : `${clean(part.slice(0, dot), 8)}.${clean(part.slice(dot + 1), 3)}`;
    })
    .join('/');
}

export function coreosIsoTree(opts: { ignitionAreaSize?: number; kargs?: boolean; features?: object } = {}): CoreosIsoTree {
  const grub = bootConfig('set timeout=1\nmenuentry live {\n  linux /images/pxeboot/vmlinuz ', '  initrd /images/pxeboot/initrd.img /images/ignition.img\n}\n');
  const isolinux = bootConfig('default live\nlabel live\n  kernel /images/pxeboot/vmlinuz\n  append initrd=/images/pxeboot/initrd.img,/images/ignition.img ', '');
  const files = new Map<string, Buffer>();
  files.set('coreos/igninfo.json', Buffer.from('{"file": "images/ignition.img"}\n'));
  files.set('images/ignition.img', Buffer.alloc(opts.ignitionAreaSize ?? 262144));
  files.set('images/pxeboot/vmlinuz', Buffer.from('not a kernel\n'));
  files.set('EFI/BOOT/grub.cfg', grub.text);
  files.set('isolinux/isolinux.cfg', isolinux.text);
  if (opts.kargs ?? true) {
    files.set(
      'coreos/kargs.json',
      Buffer.from(
        `${JSON.stringify({
          default: DEFAULT_KARGS,
          files: [
            { path: 'EFI/BOOT/grub.cfg', offset: grub.offset, pad: '#', end: '\n' },
            { path: 'isolinux/isolinux.cfg', offset: isolinux.offset },
          ],
          size: KARGS_SIZE,
        })}\n`,
      ),
    );
  }
  if (opts.features) files.set('coreos/features.json', Buffer.from(JSON.stringify(opts.features)));
  return { files };
}

/** A CoreOS-shaped ISO image made by the byte-level test writer. */
export function coreosIsoImage(opts: Parameters<typeof coreosIsoTree>[0] = {}): Buffer {
  const { files } = coreosIsoTree(opts);
  const list: IsoWriterFile[] = [...files].map(([path, data]) => ({ path: level1Path(path), data }));
  return writeIso({ volumeId: VOLUME_ID, files: list, extraSectors: 16 }).image;
}
