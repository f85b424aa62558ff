// A small GPT reader: find partitions of a disk image by reading only its header and entry array.
// The logical sector size is detected from where the "EFI PART" header sits (LBA 1 at 512 or 4096 bytes).
import type { FileHandle } from 'node:fs/promises';
import { Day0Error } from '../util/errors.js';

export interface GptPartition {
  index: number;
  name: string;
  typeGuid: string;
  /** Byte offset and length in the image. */
  offset: number;
  size: number;
}

export interface Gpt {
  sectorSize: 512 | 4096;
  partitions: GptPartition[];
}

/** Reads `length` bytes at `position` (a FileHandle, or a Buffer in tests). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

export function readAtHandle(fh: FileHandle): ReadAt {
  return async (position, length) => {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  };
}

/** Mixed-endian GUID bytes → the usual text form. */
export function guidText(b: Buffer): string {
  const hex = (s: Buffer) => s.toString('hex');
  const le = (s: Buffer) => hex(Buffer.from(s).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`.toUpperCase();
}

export async function readGpt(readAt: ReadAt, what = 'disk image'): Promise<Gpt> {
  for (const sectorSize of [512, 4096] as const) {
    const hdr = await readAt(sectorSize, 92);
    if (hdr.length < 92 || hdr.toString('latin1', 0, 8) !== 'EFI PART') continue;
    const entriesLba = Number(hdr.readBigUInt64LE(72));
    const count = hdr.readUInt32LE(80);
    const entrySize = hdr.readUInt32LE(84);
    if (entrySize < 128 || count > 1024) throw new Day0Error(`${what}: implausible GPT header (${count} entries of ${entrySize} bytes)`, { fix: 'the image is damaged' });
    const table = await readAt(entriesLba * sectorSize, count * entrySize);
    const partitions: GptPartition[] = [];
    for (let i = 0; i < count; i++) {
      const e = table.subarray(i * entrySize, (i + 1) * entrySize);
      if (e.length < 128 || e.subarray(0, 16).every((x) => x === 0)) continue;
      const first = Number(e.readBigUInt64LE(32));
      const last = Number(e.readBigUInt64LE(40));
      const name = e.toString('utf16le', 56, 128).replace(/\0.*$/s, '');
      partitions.push({ index: i + 1, name, typeGuid: guidText(e.subarray(0, 16)), offset: first * sectorSize, size: (last - first + 1) * sectorSize });
    }
    return { sectorSize, partitions };
  }
  throw new Day0Error(`${what} has no GPT partition table`, { fix: 'pass a disk image made by `day0 build` (metal, metal4k)' });
}
