// The newc ("070701") cpio format, as the Linux kernel unpacks it for an initramfs and as coreos-installer writes it.
//
// Layout of one member: a 110-byte ASCII header (magic + 13 fields of 8 hex digits), the name with a NUL, padding
// to a multiple of 4 (counted from the start of the header), the data, padding to a multiple of 4. An archive ends
// with a member named "TRAILER!!!". We write ino/uid/gid/mtime 0 and nlink 1, so output is reproducible.
//
// Pure except for writeCpioStream, which writes to a Writable and streams large members from their source.

import type { Readable, Writable } from 'node:stream';
import { Day0Error } from '../util/errors.js';

export const CPIO_NEWC_MAGIC = '070701';
/** The "newc with checksum" variant; same layout, readers accept it too. */
export const CPIO_CRC_MAGIC = '070702';
export const CPIO_TRAILER = 'TRAILER!!!';
export const CPIO_HEADER_SIZE = 110;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;

/** A directory; `mode` defaults to 0755 (permission bits; the type bits are added). */
export interface CpioDirEntry {
  type: 'dir';
  path: string;
  mode?: number;
}

/** A regular file held in memory; `mode` defaults to 0644. */
export interface CpioFileEntry {
  type: 'file';
  path: string;
  mode?: number;
  data: Uint8Array;
}

/** A regular file streamed from `source()`, which must yield exactly `size` bytes (for large members). */
export interface CpioStreamEntry {
  type: 'file';
  path: string;
  mode?: number;
  size: number;
  source: () => Readable;
}

export type CpioEntry = CpioDirEntry | CpioFileEntry | CpioStreamEntry;

/** A member read back from an archive. `data` is a view into the input buffer. */
export interface CpioMember {
  path: string;
  mode: number;
  ino: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  data: Buffer;
}

export interface CpioArchive {
  members: CpioMember[];
  /** Offset just past the trailer member and its padding. */
  end: number;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const ZEROS = Buffer.alloc(4);

/** "a/b", "/a/b", "./a/b" → "a/b"; rejects empty names and "..", which the kernel would follow. */
export function normalizeCpioPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) {
    throw new Day0Error(`invalid path in cpio archive: ${JSON.stringify(path)}`, {
      fix: 'use a relative path without ".." components, such as "etc/foo.conf"',
    });
  }
  return parts.join('/');
}

function fullMode(entry: CpioEntry): number {
  if (entry.type === 'dir') return S_IFDIR | ((entry.mode ?? 0o755) & 0o7777);
  return S_IFREG | ((entry.mode ?? 0o644) & 0o7777);
}

function entrySize(entry: CpioEntry): number {
  if (entry.type === 'dir') return 0;
  return 'data' in entry ? entry.data.length : entry.size;
}

/** The header and name of one member, padded to 4 bytes. */
export function cpioHeader(path: string, mode: number, size: number, nlink = 1): Buffer {
  if (!Number.isSafeInteger(size) || size < 0 || size > 0xffffffff) {
    throw new Day0Error(`cpio member ${path} is too large (${size} bytes; newc holds at most 4 GiB - 1)`, {
      fix: 'split the file or use a smaller root filesystem image',
    });
  }
  const name = Buffer.from(`${path}\0`, 'utf8');
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const fields = [0, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, name.length, 0];
  const header = Buffer.from(CPIO_NEWC_MAGIC + fields.map(hex).join(''), 'ascii');
  return Buffer.concat([header, name, ZEROS.subarray(0, pad4(header.length + name.length))]);
}

/**
 * Expand entries: normalise paths, add missing parent directories (0755) before their children, and refuse
 * duplicate paths. Order is otherwise kept.
 */
export function withParentDirs(entries: readonly CpioEntry[]): CpioEntry[] {
  const seen = new Set<string>();
  const out: CpioEntry[] = [];
  for (const entry of entries) {
    const path = normalizeCpioPath(entry.path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seen.has(dir)) {
        seen.add(dir);
        out.push({ type: 'dir', path: dir });
      }
    }
    if (seen.has(path)) {
      // An explicitly listed directory that was already added as a parent keeps the first entry.
      if (entry.type === 'dir') continue;
      throw new Day0Error(`duplicate path in cpio archive: ${path}`, { fix: 'give each file a distinct path' });
    }
    seen.add(path);
    out.push({ ...entry, path });
  }
  return out;
}

function trailer(): Buffer {
  return cpioHeader(CPIO_TRAILER, 0, 0, 1);
}

/** Build a whole archive in memory. Streamed members are refused: use writeCpioStream for those. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of withParentDirs(entries)) {
    if (entry.type === 'file' && !('data' in entry)) {
      throw new Day0Error(`cpio member ${entry.path} is a stream`, { fix: 'write it with writeCpioStream' });
    }
    const data = entry.type === 'file' && 'data' in entry ? entry.data : undefined;
    chunks.push(cpioHeader(entry.path, fullMode(entry), data?.length ?? 0));
    if (data && data.length > 0) {
      chunks.push(Buffer.from(data.buffer, data.byteOffset, data.length), ZEROS.subarray(0, pad4(data.length)));
    }
  }
  chunks.push(trailer());
  return Buffer.concat(chunks);
}

async function writeChunk(out: Writable, chunk: Uint8Array): Promise<void> {
  if (out.destroyed) throw out.errored ?? new Error('output stream closed');
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(out.errored ?? new Error('output stream closed'));
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/**
 * Write an archive to `out`, streaming members that have a `source` (header, then the source's bytes, then the
 * padding): nothing is held in memory beyond one chunk. A source yielding more or fewer than `size` bytes is an
 * error. `out` is ended afterwards unless `end: false`.
 */
export async function writeCpioStream(
  entries: readonly CpioEntry[],
  out: Writable,
  opts: { end?: boolean } = {},
): Promise<void> {
  for (const entry of withParentDirs(entries)) {
    const size = entrySize(entry);
    await writeChunk(out, cpioHeader(entry.path, fullMode(entry), size));
    if (entry.type !== 'file' || size === 0) continue;
    if ('data' in entry) {
      await writeChunk(out, entry.data);
    } else {
      let written = 0;
      for await (const chunk of entry.source() as AsyncIterable<Buffer | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        written += buf.length;
        if (written > size) break;
        await writeChunk(out, buf);
      }
      if (written !== size) {
        throw new Day0Error(
          `cpio member ${entry.path}: its source gave ${written > size ? 'more' : 'fewer'} bytes than the ${size} announced`,
          { fix: 'the file changed while it was being archived; rebuild it and try again' },
        );
      }
    }
    const padding = pad4(size);
    if (padding) await writeChunk(out, ZEROS.subarray(0, padding));
  }
  await writeChunk(out, trailer());
  if (opts.end ?? true) {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => {
        out.off('error', reject);
        resolve();
      });
    });
  }
}

function parseHex(buf: Buffer, at: number, field: string): number {
  const text = buf.toString('ascii', at, at + 8);
  if (!/^[0-9a-fA-F]{8}$/.test(text)) {
    throw new Day0Error(`corrupt cpio archive: bad ${field} field at offset ${at}`, {
      fix: 'the file is damaged or not a newc cpio archive; recreate it',
    });
  }
  return Number.parseInt(text, 16);
}

/** Does a newc (or newc-with-checksum) header start at `offset`? */
export function isCpioAt(buf: Uint8Array, offset = 0): boolean {
  if (offset + 6 > buf.length) return false;
  const magic = Buffer.from(buf.buffer, buf.byteOffset + offset, 6).toString('ascii');
  return magic === CPIO_NEWC_MAGIC || magic === CPIO_CRC_MAGIC;
}

/**
 * Read one archive starting at `offset`, up to and including its trailer. Hard links (nlink > 1 with data on
 * the last link) are returned as members like any other; callers needing them resolved must do so.
 */
export function readCpio(input: Uint8Array, offset = 0): CpioArchive {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.length);
  const members: CpioMember[] = [];
  let pos = offset;
  const truncated = (): Day0Error =>
    new Day0Error(`truncated cpio archive (ends inside the member at offset ${pos})`, {
      fix: 'the file is incomplete; recreate or download it again',
    });
  for (;;) {
    if (pos + CPIO_HEADER_SIZE > buf.length) throw truncated();
    if (!isCpioAt(buf, pos)) {
      throw new Day0Error(`corrupt cpio archive: no newc header at offset ${pos}`, {
        fix: 'the file is damaged or not a newc cpio archive; recreate it',
      });
    }
    const f = (i: number, name: string): number => parseHex(buf, pos + 6 + i * 8, name);
    const ino = f(0, 'ino');
    const mode = f(1, 'mode');
    const uid = f(2, 'uid');
    const gid = f(3, 'gid');
    const nlink = f(4, 'nlink');
    const mtime = f(5, 'mtime');
    const size = f(6, 'filesize');
    const nameSize = f(11, 'namesize');
    if (nameSize < 1) throw new Day0Error(`corrupt cpio archive: empty name at offset ${pos}`);
    const nameStart = pos + CPIO_HEADER_SIZE;
    const dataStart = nameStart + nameSize + pad4(CPIO_HEADER_SIZE + nameSize);
    const dataEnd = dataStart + size;
    if (nameStart + nameSize > buf.length || dataEnd > buf.length) throw truncated();
    const path = buf.toString('utf8', nameStart, nameStart + nameSize - 1);
    const next = dataEnd + pad4(size);
    if (path === CPIO_TRAILER) return { members, end: Math.min(next, buf.length) };
    members.push({ path, mode, ino, uid, gid, nlink, mtime, data: buf.subarray(dataStart, dataEnd) });
    pos = next;
  }
}
