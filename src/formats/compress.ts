// Compression formats found in initramfs images: detection by magic, decompression, compression, and finding
// where one compressed stream ends inside a buffer holding several concatenated ones.
//
// gzip runs in-process (node:zlib). xz and zstd run the `xz` / `zstd` programs (node:child_process): the kernel's xz
// decoder only accepts the CRC32 check (never CRC64, liblzma's default), which `xz --check=crc32` gives us.

import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { constants as zlibConstants, gzipSync, inflateRawSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { Day0Error, MissingToolError } from '../util/errors.js';

export type Compression = 'gzip' | 'xz' | 'zstd';
/** What a byte stream starts with; `plain` = none of the compressed formats (e.g. a cpio archive). */
export type DetectedFormat = Compression | 'plain';

const GZIP_MAGIC = [0x1f, 0x8b];
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const XZ_FOOTER_MAGIC = [0x59, 0x5a]; // "YZ"
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Decompressed output larger than this is refused (a config initrd is kilobytes; an initramfs, megabytes). */
export const MAX_DECOMPRESSED = 1024 * 1024 * 1024;

const TOOLS: Record<'xz' | 'zstd', { program: string; install: string }> = {
  xz: { program: 'xz', install: 'install xz: apt-get install xz-utils (dnf install xz)' },
  zstd: { program: 'zstd', install: 'install zstd: apt-get install zstd (dnf install zstd)' },
};

function startsWith(buf: Uint8Array, magic: readonly number[], offset = 0): boolean {
  if (offset + magic.length > buf.length) return false;
  return magic.every((b, i) => buf[offset + i] === b);
}

/** Identify gzip, xz or zstd by their magic bytes at `offset`; anything else is `plain`. */
export function detectCompression(buf: Uint8Array, offset = 0): DetectedFormat {
  if (startsWith(buf, GZIP_MAGIC, offset)) return 'gzip';
  if (startsWith(buf, XZ_MAGIC, offset)) return 'xz';
  if (startsWith(buf, ZSTD_MAGIC, offset)) return 'zstd';
  return 'plain';
}

// --- CRC32 (IEEE 802.3, as used by gzip and xz) ---

let crcTable: Uint32Array | undefined;

export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// --- finding the end of one compressed stream ---

function corrupt(kind: string, offset: number, what: string): Day0Error {
  return new Day0Error(`corrupt ${kind} data at offset ${offset}: ${what}`, {
    fix: 'the file is damaged or truncated; recreate it',
  });
}

function view(buf: Uint8Array): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.length);
}

/** One gzip member at `offset`: its decompressed bytes and the offset just past it (CRC and size verified). */
export function gunzipMember(input: Uint8Array, offset = 0): { data: Buffer; end: number } {
  const buf = view(input);
  if (!startsWith(buf, GZIP_MAGIC, offset) || buf[offset + 2] !== 8) throw corrupt('gzip', offset, 'bad header');
  const flags = buf[offset + 3]!;
  let pos = offset + 10;
  const need = (n: number): void => {
    if (pos + n > buf.length) throw corrupt('gzip', offset, 'truncated header');
  };
  if (flags & 0x04) {
    need(2);
    pos += 2 + buf.readUInt16LE(pos); // FEXTRA
  }
  for (const bit of [0x08, 0x10]) {
    // FNAME, FCOMMENT: NUL-terminated
    if (flags & bit) {
      const nul = buf.indexOf(0, pos);
      if (nul < 0) throw corrupt('gzip', offset, 'truncated header');
      pos = nul + 1;
    }
  }
  if (flags & 0x02) pos += 2; // FHCRC
  need(0);
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    result = inflateRawSync(buf.subarray(pos), {
      info: true,
      maxOutputLength: MAX_DECOMPRESSED,
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
    }) as unknown as typeof result;
  } catch (err) {
    throw corrupt('gzip', offset, (err as Error).message);
  }
  const trailer = pos + result.engine.bytesWritten;
  if (trailer + 8 > buf.length) throw corrupt('gzip', offset, 'truncated data');
  const data = result.buffer;
  if (buf.readUInt32LE(trailer) !== crc32(data) || buf.readUInt32LE(trailer + 4) !== data.length % 2 ** 32) {
    throw corrupt('gzip', offset, 'CRC or length mismatch');
  }
  return { data, end: trailer + 8 };
}

/**
 * The offset just past the xz stream starting at `offset`. The stream's end is its 12-byte footer ("YZ" magic,
 * the header's flags, a CRC32 over backward size + flags) which sits right after the index; footers are 4-byte
 * aligned relative to the stream start. Stream padding after it is not included.
 */
export function xzStreamEnd(input: Uint8Array, offset = 0): number {
  const buf = view(input);
  if (!startsWith(buf, XZ_MAGIC, offset) || offset + 12 > buf.length) throw corrupt('xz', offset, 'bad header');
  if (buf.readUInt32LE(offset + 8) !== crc32(buf, offset + 6, offset + 8)) {
    throw corrupt('xz', offset, 'header CRC mismatch');
  }
  const flags0 = buf[offset + 6];
  const flags1 = buf[offset + 7];
  const yz = Buffer.from(XZ_FOOTER_MAGIC);
  let from = offset + 12 + 8 + 10; // smallest stream: header, an 8-byte index, footer
  for (;;) {
    const at = buf.indexOf(yz, from);
    if (at < 0) throw corrupt('xz', offset, 'no stream footer (truncated?)');
    from = at + 1;
    const footer = at - 10;
    if ((footer - offset) % 4 !== 0) continue;
    if (buf[footer + 8] !== flags0 || buf[footer + 9] !== flags1) continue;
    if (buf.readUInt32LE(footer) !== crc32(buf, footer + 4, footer + 10)) continue;
    const indexSize = (buf.readUInt32LE(footer + 4) + 1) * 4;
    const index = footer - indexSize;
    if (index < offset + 12 || buf[index] !== 0x00) continue;
    return footer + 12;
  }
}

/** The integrity check an xz stream declares, from the footer's flags byte (checked against the header). */
export function xzCheckType(input: Uint8Array, offset = 0): 'none' | 'crc32' | 'crc64' | 'sha256' | `other:${number}` {
  const end = xzStreamEnd(input, offset);
  const footerFlags = input[end - 3]! & 0x0f;
  const names: Record<number, 'none' | 'crc32' | 'crc64' | 'sha256'> = { 0: 'none', 1: 'crc32', 4: 'crc64', 10: 'sha256' };
  return names[footerFlags] ?? `other:${footerFlags}`;
}

/** The offset just past the zstd frame starting at `offset` (walks the block headers; no decompression). */
export function zstdFrameEnd(input: Uint8Array, offset = 0): number {
  const buf = view(input);
  if (!startsWith(buf, ZSTD_MAGIC, offset) || offset + 5 > buf.length) throw corrupt('zstd', offset, 'bad header');
  const fhd = buf[offset + 4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const didSize = [0, 1, 2, 4][fhd & 3]!;
  const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  let pos = offset + 5 + (singleSegment ? 0 : 1) + didSize + fcsSize;
  for (;;) {
    if (pos + 3 > buf.length) throw corrupt('zstd', offset, 'truncated frame');
    const header = buf.readUIntLE(pos, 3);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw corrupt('zstd', offset, 'reserved block type');
    pos += 3 + (type === 1 ? 1 : size);
    if (last) break;
  }
  pos += checksum ? 4 : 0;
  if (pos > buf.length) throw corrupt('zstd', offset, 'truncated frame');
  return pos;
}

// --- running the external programs ---

function onPath(program: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), fsConstants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

export function requireTool(kind: 'xz' | 'zstd'): string {
  const { program, install } = TOOLS[kind];
  if (!onPath(program)) throw new MissingToolError(program, install);
  return program;
}

/**
 * Run `program` over `input` and collect its output (bounded by MAX_DECOMPRESSED). node:child_process, not
 * execa: this is on the path of quick commands (`iso ignition show|embed`), and importing execa alone costs
 * about as much as Node's own start-up.
 */
function filter(kind: 'xz' | 'zstd', args: string[], input: Uint8Array, what: string): Promise<Buffer> {
  const program = requireTool(kind);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failed: Error | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      failed ??= e.code === 'ENOENT' ? new MissingToolError(program, TOOLS[kind].install) : e;
    });
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_DECOMPRESSED) {
        failed ??= new Day0Error(`${what}: output larger than ${MAX_DECOMPRESSED} bytes`, {
          fix: 'this is not an Ignition/initramfs archive of a sane size; check the input file',
        });
        child.kill();
      } else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // The program may stop reading early (bad data): its exit status says why, not the broken pipe.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      if (failed) return reject(failed);
      if (code === 0) return resolve(Buffer.concat(out));
      const detail = Buffer.concat(err).toString('utf8').trim().split('\n')[0] ?? '';
      reject(new Day0Error(`${what}: ${program} failed${detail ? `: ${detail}` : ` (exit ${code})`}`, {
        fix: 'the data is damaged or truncated; recreate it',
      }));
    });
    child.stdin.end(input);
  });
}

/** Decompress a whole buffer (several concatenated gzip members / xz streams / zstd frames are fine). */
export async function decompress(buf: Uint8Array, kind: Compression): Promise<Buffer> {
  switch (kind) {
    case 'gzip': {
      const parts: Buffer[] = [];
      let pos = 0;
      while (pos < buf.length && buf[pos] !== 0) {
        const member = gunzipMember(buf, pos);
        parts.push(member.data);
        pos = member.end;
      }
      return Buffer.concat(parts);
    }
    case 'xz':
      return filter('xz', ['--decompress', '--stdout', '--format=xz'], buf, 'xz decompression');
    case 'zstd':
      return filter('zstd', ['--decompress', '--stdout', '--quiet'], buf, 'zstd decompression');
  }
}

/**
 * Compress for an initrd. xz uses the CRC32 check (the kernel rejects CRC64) at preset 9, single-threaded so
 * the output is reproducible; gzip uses level 9.
 */
export async function compress(buf: Uint8Array, kind: 'xz' | 'gzip'): Promise<Buffer> {
  if (kind === 'gzip') return gzipSync(buf, { level: 9 });
  return filter(
    'xz',
    ['--compress', '--stdout', '--format=xz', '--check=crc32', '-9', '--threads=1'],
    buf,
    'xz compression',
  );
}
