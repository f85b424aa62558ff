// coreos/miniso.dat: how to rebuild a *minimal* ISO (the live ISO without rootfs.img) from the full one, in the
// format coreos-installer's `iso extract minimal-iso` reads (its src/miniso.rs, format version 1). Written by day0
// from the description of that format; no code is shared.
//
// The file is bincode 1.x with coreos-installer's options (little endian, variable-length integers, trailing
// bytes allowed, so the zero padding of a preallocated file is fine), at most 1 MiB:
//
//   Header  { magic: [u8; 8] = "MINISO\0\0", version: u32 = 1, app_version: String }
//   Data    { table: { entries: Vec<{ minimal: u32, full: u32, length: u32 }> },   // sectors, sectors, bytes
//             digest: [u8; 32],                                                     // SHA-256 of the minimal ISO
//             xzpacked: Vec<u8> }                                                   // xz of what is not shared
//
// Integers (u32, lengths of Vec/String) are varints: < 251 in one byte; else a tag byte 251/252/253 followed by the
// value as u16/u32/u64 little endian. u8 and fixed arrays are raw bytes. The table lists the files the minimal ISO
// shares with the full one, sorted by their minimal-ISO sector, without overlaps; `xzpacked` is the minimal ISO with
// those byte ranges cut out, xz-compressed. Unpacking walks the table: copy packed bytes up to the next shared
// file, copy that file's bytes out of the full ISO, repeat, then the rest of the packed bytes; the result's
// SHA-256 must equal `digest`.
//
// Pure: bytes in, bytes out; xz (de)compression and the ISOs' bytes are passed in by the caller.

import { createHash } from 'node:crypto';
import { Day0Error } from '../util/errors.js';
import { ISO_SECTOR_SIZE } from '../formats/iso9660.js';

export const MINISO_MAGIC = Buffer.from('MINISO\0\0', 'latin1');
export const MINISO_VERSION = 1;
/** coreos-installer refuses miniso data larger than this. */
export const MINISO_MAX_SIZE = 1024 * 1024;
/** Where the file lives in the full ISO (level-1 name of coreos/miniso.dat). */
export const MINISO_PATH = 'COREOS/MINISO.DAT';

export interface MinisoEntry {
  /** Sector of the file in the minimal ISO. */
  minimal: number;
  /** Sector of the same file in the full ISO. */
  full: number;
  /** Bytes. */
  length: number;
}

export interface MinisoData {
  /** The writer's version string (informational). */
  appVersion: string;
  entries: MinisoEntry[];
  /** SHA-256 of the whole minimal ISO. */
  digest: Buffer;
  xzpacked: Buffer;
}

function bad(why: string): Day0Error {
  return new Day0Error(`invalid coreos/miniso.dat: ${why}`, {
    fix: 'the ISO was not packed with minimal-ISO data, or the data is damaged; rebuild the ISO',
  });
}

// --- bincode 1.x varint encoding ---

class Writer {
  private readonly parts: Buffer[] = [];
  private length = 0;

  raw(b: Uint8Array): void {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
    this.parts.push(buf);
    this.length += buf.length;
  }

  varint(n: number | bigint): void {
    const v = BigInt(n);
    if (v < 0n) throw new Error('bincode varints here are unsigned');
    let b: Buffer;
    if (v < 251n) b = Buffer.from([Number(v)]);
    else if (v <= 0xffffn) {
      b = Buffer.alloc(3);
      b[0] = 251;
      b.writeUInt16LE(Number(v), 1);
    } else if (v <= 0xffffffffn) {
      b = Buffer.alloc(5);
      b[0] = 252;
      b.writeUInt32LE(Number(v), 1);
    } else if (v <= 0xffffffffffffffffn) {
      b = Buffer.alloc(9);
      b[0] = 253;
      b.writeBigUInt64LE(v, 1);
    } else throw new Error('varint out of range');
    this.raw(b);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  get size(): number {
    return this.length;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  raw(n: number, what: string): Buffer {
    if (this.pos + n > this.buf.length) throw bad(`ends inside ${what}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(what: string, max: bigint = 0xffffffffn): number {
    const tag = this.raw(1, what)[0]!;
    let v: bigint;
    if (tag < 251) v = BigInt(tag);
    else if (tag === 251) v = BigInt(this.raw(2, what).readUInt16LE(0));
    else if (tag === 252) v = BigInt(this.raw(4, what).readUInt32LE(0));
    else if (tag === 253) v = this.raw(8, what).readBigUInt64LE(0);
    else throw bad(`invalid integer tag ${tag} in ${what}`);
    if (v > max) throw bad(`${what} is out of range`);
    return Number(v);
  }

  bytes(what: string): Buffer {
    const n = this.varint(`length of ${what}`, BigInt(MINISO_MAX_SIZE));
    return this.raw(n, what);
  }
}

// --- table ---

/**
 * The table for a minimal ISO: every file of `minimal` that `full` also has (same path, same length), sorted by
 * minimal sector, hard links (same extent) once. Files of different lengths are an error, as upstream.
 */
export function minisoTable(
  full: ReadonlyMap<string, { lba: number; size: number }>,
  minimal: ReadonlyMap<string, { lba: number; size: number }>,
): MinisoEntry[] {
  const entries: MinisoEntry[] = [];
  for (const [path, m] of minimal) {
    const f = full.get(path);
    if (!f) continue; // only in the minimal ISO: stays in the packed bytes
    if (f.size !== m.size) {
      throw new Day0Error(`${path} has different lengths in the full and minimal ISOs (${f.size} vs ${m.size})`, {
        fix: 'build both ISOs from the same files; only rootfs.img and the kernel arguments may differ',
      });
    }
    if (m.size === 0) continue;
    entries.push({ minimal: m.lba, full: f.lba, length: m.size });
  }
  entries.sort((a, b) => a.minimal - b.minimal || a.full - b.full || a.length - b.length);
  const dedup = entries.filter(
    (e, i) => i === 0 || !(e.minimal === entries[i - 1]!.minimal && e.full === entries[i - 1]!.full && e.length === entries[i - 1]!.length),
  );
  validateTable(dedup);
  return dedup;
}

export function validateTable(entries: readonly MinisoEntry[]): void {
  if (entries.length === 0) throw bad('the table is empty (the ISOs have no files in common?)');
  for (let i = 0; i + 1 < entries.length; i++) {
    const e = entries[i]!;
    const next = entries[i + 1]!;
    if (e.minimal * ISO_SECTOR_SIZE + e.length > next.minimal * ISO_SECTOR_SIZE) {
      throw bad(`files at offsets ${e.minimal * ISO_SECTOR_SIZE} and ${next.minimal * ISO_SECTOR_SIZE} overlap`);
    }
  }
}

// --- serialization ---

export function encodeMiniso(d: MinisoData): Buffer {
  if (d.digest.length !== 32) throw new Error('digest must be 32 bytes');
  validateTable(d.entries);
  const w = new Writer();
  w.raw(MINISO_MAGIC);
  w.varint(MINISO_VERSION);
  w.bytes(Buffer.from(d.appVersion, 'utf8'));
  w.varint(d.entries.length);
  for (const e of d.entries) {
    w.varint(e.minimal);
    w.varint(e.full);
    w.varint(e.length);
  }
  w.raw(d.digest);
  w.bytes(d.xzpacked);
  if (w.size > MINISO_MAX_SIZE) {
    throw new Day0Error(`minimal-ISO data is ${w.size} bytes, more than the ${MINISO_MAX_SIZE} coreos-installer reads`, {
      fix: 'the minimal ISO differs too much from the full one; only rootfs.img and kernel arguments should differ',
    });
  }
  return w.done();
}

/** Parse miniso.dat (trailing bytes, such as the zero fill of a preallocated file, are ignored). */
export function decodeMiniso(buf: Buffer): MinisoData {
  const r = new Reader(buf.subarray(0, Math.min(buf.length, MINISO_MAX_SIZE)));
  if (!r.raw(8, 'the header').equals(MINISO_MAGIC)) throw bad('not a miniso file (bad magic)');
  const version = r.varint('the version');
  const appVersion = r.bytes('the writer version').toString('utf8');
  if (version !== MINISO_VERSION) throw bad(`incompatible miniso file version ${version} (expected ${MINISO_VERSION}; written by ${appVersion})`);
  const n = r.varint('the table length', 1_000_000n);
  const entries: MinisoEntry[] = [];
  for (let i = 0; i < n; i++) {
    entries.push({ minimal: r.varint(`entry ${i}`), full: r.varint(`entry ${i}`), length: r.varint(`entry ${i}`) });
  }
  validateTable(entries);
  const digest = Buffer.from(r.raw(32, 'the digest'));
  const xzpacked = Buffer.from(r.bytes('the packed data'));
  return { appVersion, entries, digest, xzpacked };
}

// --- packing and unpacking ---

/** Random access to an ISO's bytes (see formats/iso9660 ByteSource). */
export interface Bytes {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

/**
 * The bytes of `minimal` that are not shared (the table's ranges cut out), before compression, and the minimal
 * ISO's SHA-256. Reads the minimal ISO once, in order.
 */
export async function minisoUnshared(minimal: Bytes, entries: readonly MinisoEntry[]): Promise<{ unshared: Buffer; digest: Buffer }> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let pos = 0;
  const CHUNK = 4 << 20;
  const copy = async (from: number, to: number, keep: boolean): Promise<void> => {
    for (let at = from; at < to; at += CHUNK) {
      const b = await minimal.read(at, Math.min(CHUNK, to - at));
      hash.update(b);
      if (keep) kept.push(Buffer.from(b));
    }
  };
  for (const e of entries) {
    const start = e.minimal * ISO_SECTOR_SIZE;
    if (start < pos || start + e.length > minimal.size) throw bad(`entry at sector ${e.minimal} lies outside the minimal ISO`);
    await copy(pos, start, true);
    await copy(start, start + e.length, false);
    pos = start + e.length;
  }
  await copy(pos, minimal.size, true);
  return { unshared: Buffer.concat(kept), digest: hash.digest() };
}

/** Pack: the miniso.dat bytes for a minimal ISO, given its table and an xz compressor. */
export async function packMiniso(
  minimal: Bytes,
  entries: readonly MinisoEntry[],
  xz: (data: Buffer) => Promise<Buffer>,
  appVersion: string,
): Promise<Buffer> {
  const { unshared, digest } = await minisoUnshared(minimal, entries);
  return encodeMiniso({ appVersion, entries: [...entries], digest, xzpacked: await xz(unshared) });
}

/**
 * Unpack: write the minimal ISO, in order, through `write`, from the full ISO and the already decompressed
 * packed bytes. The SHA-256 of what was written must match the recorded digest (else an error after writing).
 */
export async function unpackMiniso(
  data: MinisoData,
  unpacked: Buffer,
  full: Bytes,
  write: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const hash = createHash('sha256');
  const out = async (b: Buffer): Promise<void> => {
    hash.update(b);
    await write(b);
  };
  let packedPos = 0;
  let offset = 0;
  for (const e of data.entries) {
    const start = e.minimal * ISO_SECTOR_SIZE;
    const gap = start - offset;
    if (packedPos + gap > unpacked.length) throw bad('the packed data ends before the table does');
    if (gap > 0) await out(unpacked.subarray(packedPos, packedPos + gap));
    packedPos += gap;
    offset = start;
    const from = e.full * ISO_SECTOR_SIZE;
    if (from + e.length > full.size) {
      throw new Day0Error('the full ISO is shorter than its minimal-ISO data expects', {
        fix: 'the ISO is truncated or was modified after it was packed; download or build it again',
      });
    }
    const CHUNK = 4 << 20;
    for (let at = 0; at < e.length; at += CHUNK) await out(await full.read(from + at, Math.min(CHUNK, e.length - at)));
    offset += e.length;
  }
  if (packedPos < unpacked.length) await out(unpacked.subarray(packedPos));
  const digest = hash.digest();
  if (!digest.equals(data.digest)) {
    throw new Day0Error(`wrong digest of the rebuilt minimal ISO: expected ${data.digest.toString('hex')}, found ${digest.toString('hex')}`, {
      fix: 'the full ISO was modified (customized?) after its minimal-ISO data was written; start from the original ISO',
    });
  }
}
