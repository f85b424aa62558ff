// A small ISO 9660 reader: the primary volume descriptor and the primary directory tree only (no Rock Ridge, no
// Joliet), which is all coreos-installer looks at. It reads only the sectors it needs through a ByteSource, so a
// multi-gigabyte ISO costs a few kilobytes of reads.
//
// Names are compared the way coreos-installer finds files: the ISO level-1 identifier with its ";1" version and a
// trailing "." stripped, case-insensitively. A query must use the level-1 (8.3) name, e.g. COREOS/IGNINFO.JSO.

import type { FileHandle } from 'node:fs/promises';
import { Day0Error } from '../util/errors.js';

export const ISO_SECTOR_SIZE = 2048;
/** The volume descriptor set starts at sector 16 (after the 32 KiB system area). */
const FIRST_DESCRIPTOR_SECTOR = 16;
const MAX_DESCRIPTORS = 64;
const MAX_DIRECTORY_SIZE = 16 * 1024 * 1024;

const FLAG_DIRECTORY = 0x02;
const FLAG_MULTI_EXTENT = 0x80;

/** Random access to the bytes of an image. `read` returns exactly `length` bytes or throws. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

function shortRead(offset: number, length: number): Day0Error {
  return new Day0Error(`ISO image ends before byte ${offset + length} (truncated?)`, {
    fix: 'the image is incomplete; download or build it again',
  });
}

export function bufferSource(buf: Uint8Array): ByteSource {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  return {
    size: b.length,
    async read(offset, length) {
      if (offset < 0 || offset + length > b.length) throw shortRead(offset, length);
      return b.subarray(offset, offset + length);
    },
  };
}

/** A ByteSource over an open file; `size` is the file's size when the source was made. */
export async function fileHandleSource(fh: FileHandle): Promise<ByteSource> {
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw shortRead(offset, length);
        done += bytesRead;
      }
      return buf;
    },
  };
}

export interface IsoDirRecord {
  /** The identifier as recorded, e.g. "IGNINFO.JSO;1". */
  name: string;
  lba: number;
  size: number;
  isDirectory: boolean;
  multiExtent: boolean;
}

export interface IsoFile {
  /** The path as looked up. */
  path: string;
  /** Extent start in 2048-byte sectors. */
  lba: number;
  /** Byte offset of the file's data in the image: lba × 2048. */
  offset: number;
  size: number;
}

/** "IGNINFO.JSO;1" → "IGNINFO.JSO", "IMAGES." → "IMAGES", case folded to upper case. */
export function normalizeIsoName(name: string): string {
  let n = name;
  const semi = n.lastIndexOf(';');
  if (semi >= 0 && /^\d*$/.test(n.slice(semi + 1))) n = n.slice(0, semi);
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n.toUpperCase();
}

function notIso(why: string): Day0Error {
  return new Day0Error(`not an ISO 9660 image: ${why}`, {
    fix: 'pass a live ISO image (for example one built by `day0 build iso`)',
  });
}

function parseRecord(buf: Buffer, pos: number): IsoDirRecord {
  const nameLen = buf[pos + 32]!;
  const raw = buf.subarray(pos + 33, pos + 33 + nameLen);
  const name = nameLen === 1 && raw[0]! <= 1 ? (raw[0] === 0 ? '.' : '..') : raw.toString('latin1');
  const flags = buf[pos + 25]!;
  return {
    name,
    lba: buf.readUInt32LE(pos + 2),
    size: buf.readUInt32LE(pos + 10),
    isDirectory: (flags & FLAG_DIRECTORY) !== 0,
    multiExtent: (flags & FLAG_MULTI_EXTENT) !== 0,
  };
}

export class Iso9660 {
  private readonly dirCache = new Map<number, IsoDirRecord[]>();

  private constructor(
    private readonly src: ByteSource,
    /** Volume identifier (the label), trailing spaces removed. */
    readonly volumeId: string,
    /** Volume space size in 2048-byte blocks. */
    readonly volumeSpaceSize: number,
    readonly root: IsoDirRecord,
  ) {}

  /** Bytes the volume occupies: volume space size × 2048. */
  get volumeBytes(): number {
    return this.volumeSpaceSize * ISO_SECTOR_SIZE;
  }

  static async open(src: ByteSource): Promise<Iso9660> {
    if (src.size < (FIRST_DESCRIPTOR_SECTOR + 1) * ISO_SECTOR_SIZE) notIsoThrow('file too small');
    for (let i = 0; i < MAX_DESCRIPTORS; i++) {
      const offset = (FIRST_DESCRIPTOR_SECTOR + i) * ISO_SECTOR_SIZE;
      if (offset + ISO_SECTOR_SIZE > src.size) break;
      const d = await src.read(offset, ISO_SECTOR_SIZE);
      if (d.toString('ascii', 1, 6) !== 'CD001') notIsoThrow(`no volume descriptor at sector ${16 + i}`);
      const type = d[0]!;
      if (type === 255) break;
      if (type !== 1) continue;
      if (d[6] !== 1) notIsoThrow(`unsupported primary volume descriptor version ${d[6]}`);
      const blockSize = d.readUInt16LE(128);
      if (blockSize !== ISO_SECTOR_SIZE) notIsoThrow(`logical block size ${blockSize} is not 2048`);
      const volumeId = d.toString('ascii', 40, 72).replace(/[ \0]+$/, '');
      const volumeSpaceSize = d.readUInt32LE(80);
      const root = parseRecord(d, 156);
      if (!root.isDirectory) notIsoThrow('root directory record is not a directory');
      if (src.size < volumeSpaceSize * ISO_SECTOR_SIZE) {
        throw new Day0Error(
          `ISO image is truncated: ${src.size} bytes, but its volume is ${volumeSpaceSize * ISO_SECTOR_SIZE} bytes`,
          { fix: 'the image is incomplete; download or build it again' },
        );
      }
      return new Iso9660(src, volumeId, volumeSpaceSize, root);
    }
    return notIsoThrow('no primary volume descriptor');
  }

  /** The records of a directory, without "." and "..". */
  async readDir(dir: IsoDirRecord): Promise<IsoDirRecord[]> {
    if (!dir.isDirectory) throw new Day0Error(`${dir.name} is not a directory in the ISO image`);
    const cached = this.dirCache.get(dir.lba);
    if (cached) return cached;
    if (dir.size > MAX_DIRECTORY_SIZE) notIsoThrow(`directory ${dir.name} is implausibly large (${dir.size} bytes)`);
    const buf = await this.src.read(dir.lba * ISO_SECTOR_SIZE, dir.size);
    const records: IsoDirRecord[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const len = buf[pos]!;
      if (len === 0) {
        // Records never cross a sector boundary; the rest of this sector is padding.
        pos = (Math.floor(pos / ISO_SECTOR_SIZE) + 1) * ISO_SECTOR_SIZE;
        continue;
      }
      if (len < 34 || pos + len > buf.length || 33 + buf[pos + 32]! > len) {
        notIsoThrow(`corrupt directory record in ${dir.name} at byte ${pos}`);
      }
      const rec = parseRecord(buf, pos);
      if (rec.name !== '.' && rec.name !== '..') records.push(rec);
      pos += len;
    }
    this.dirCache.set(dir.lba, records);
    return records;
  }

  /** The record at `path` (e.g. "COREOS/IGNINFO.JSO"), or undefined when absent. */
  async lookup(path: string): Promise<IsoDirRecord | undefined> {
    let current = this.root;
    const parts = path.split('/').filter((p) => p !== '');
    for (const [i, part] of parts.entries()) {
      if (!current.isDirectory) return undefined;
      const want = normalizeIsoName(part);
      const matches = (await this.readDir(current)).filter((r) => normalizeIsoName(r.name) === want);
      if (matches.length === 0) return undefined;
      if (matches.some((r) => r.multiExtent) || matches.length > 1) {
        throw new Day0Error(`${parts.slice(0, i + 1).join('/')} in the ISO image is a multi-extent file`, {
          fix: 'rebuild the ISO so that this file is stored in one extent (files under 4 GiB are)',
        });
      }
      current = matches[0]!;
    }
    return current;
  }

  /** The regular file at `path`, or undefined when absent. Directories are refused. */
  async findFile(path: string): Promise<IsoFile | undefined> {
    const rec = await this.lookup(path);
    if (!rec) return undefined;
    if (rec.isDirectory) {
      throw new Day0Error(`${path} in the ISO image is a directory, not a file`, {
        fix: 'check the path in the image metadata (coreos/igninfo.json, coreos/kargs.json)',
      });
    }
    const offset = rec.lba * ISO_SECTOR_SIZE;
    if (offset + rec.size > this.src.size) {
      throw new Day0Error(`${path} extends past the end of the ISO image`, {
        fix: 'the image is damaged or truncated; download or build it again',
      });
    }
    return { path, lba: rec.lba, offset, size: rec.size };
  }

  /** Like findFile, but a missing file is an error naming the path. */
  async getFile(path: string): Promise<IsoFile> {
    const file = await this.findFile(path);
    if (!file) {
      throw new Day0Error(`${path} not found in the ISO image's primary directory tree`, {
        fix: 'use a CoreOS-style live ISO whose files have ISO level-1 (8.3) names, e.g. COREOS/IGNINFO.JSO',
      });
    }
    return file;
  }

  /** Read a (small) file whole; refuses files larger than `maxBytes`. */
  async readFile(file: IsoFile, maxBytes = 1024 * 1024): Promise<Buffer> {
    if (file.size > maxBytes) {
      throw new Day0Error(`${file.path} in the ISO image is ${file.size} bytes, more than the ${maxBytes} expected`, {
        fix: 'the image metadata is damaged; rebuild the ISO',
      });
    }
    return this.src.read(file.offset, file.size);
  }

  /**
   * Every regular file of the primary directory tree, as "DIR/NAME" paths of normalized level-1 names
   * ("IMAGES/PXEBOOT/VMLINUZ"), with their extents. Iterative; directories are visited once each.
   */
  async walkFiles(): Promise<Map<string, { lba: number; size: number }>> {
    const out = new Map<string, { lba: number; size: number }>();
    const todo: { dir: IsoDirRecord; prefix: string }[] = [{ dir: this.root, prefix: '' }];
    const seen = new Set<number>();
    while (todo.length > 0) {
      const { dir, prefix } = todo.shift()!;
      if (seen.has(dir.lba)) continue;
      seen.add(dir.lba);
      for (const r of await this.readDir(dir)) {
        const path = `${prefix}${normalizeIsoName(r.name)}`;
        if (r.isDirectory) todo.push({ dir: r, prefix: `${path}/` });
        else out.set(path, { lba: r.lba, size: r.size });
      }
    }
    return out;
  }

  /** Read `length` bytes at absolute byte `offset` of the image. */
  readAt(offset: number, length: number): Promise<Buffer> {
    return this.src.read(offset, length);
  }
}

function notIsoThrow(why: string): never {
  throw notIso(why);
}
