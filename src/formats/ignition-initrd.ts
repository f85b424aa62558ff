// Initrd archives as coreos-installer reads and writes them: one or more segments, each a plain newc cpio
// archive or a gzip / xz / zstd compressed one, concatenated, with zero padding allowed between segments (the
// kernel's rule). An Ignition config travels as `config.ign` (mode 0600) at the archive root; configs put
// into one are first checked to be Ignition 3.x JSON (a cheap guard against e.g. embedding Butane YAML).
//
// Configs are secrets: nothing here logs or puts file contents into error messages.

import { Day0Error } from '../util/errors.js';
import { S_IFMT, S_IFREG, isCpioAt, readCpio, writeCpio, type CpioEntry, type CpioMember } from './cpio.js';
import { compress, decompress, detectCompression, gunzipMember, xzStreamEnd, zstdFrameEnd } from './compress.js';

export const INITRD_IGNITION_PATH = 'config.ign';

export type InitrdCompression = 'xz' | 'gzip';

export interface InitrdFile {
  path: string;
  data: Buffer;
  /** Permission bits, e.g. 0o600. */
  mode: number;
}

/**
 * Check that `data` looks like an Ignition 3.x config: a JSON object with ignition.version 3.x.y. Error
 * messages name the file, never the content (JSON.parse's message can quote it, so it is not passed on).
 */
export function checkIgnitionConfig(data: Buffer, name: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new Day0Error(`${name} is not valid JSON, so not an Ignition config`, {
      fix: 'pass an Ignition config (JSON); translate Butane YAML with `butane` first',
    });
  }
  const version = (parsed as { ignition?: { version?: unknown } } | null)?.ignition?.version;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof version !== 'string') {
    throw new Day0Error(`${name} is not an Ignition config (no ignition.version)`, {
      fix: 'pass an Ignition config with "ignition": {"version": "3.x.0"}',
    });
  }
  if (!/^3\.\d+\.\d+(-experimental)?$/.test(version)) {
    const shown = /^\d+\.\d+\.\d+(-experimental)?$/.test(version) ? `spec ${version}` : 'an unrecognized spec version';
    throw new Day0Error(`${name} uses Ignition ${shown}; only spec 3.x configs are supported`, {
      fix: 'rewrite the config for Ignition spec 3 (for example from Butane, which emits 3.x)',
    });
  }
}

/** Pack files (parents added as 0755 directories) into a compressed newc archive. */
export async function packInitrd(
  files: readonly InitrdFile[],
  opts: { compression: InitrdCompression },
): Promise<Buffer> {
  const entries: CpioEntry[] = files.map((f) => ({ type: 'file', path: f.path, mode: f.mode, data: f.data }));
  return compress(writeCpio(entries), opts.compression);
}

/** An initrd holding only `config.ign` (mode 0600), as `pxe ignition wrap` and the ISO embed area use. */
export function packIgnitionInitrd(config: Buffer, opts: { compression: InitrdCompression }): Promise<Buffer> {
  return packInitrd([{ path: INITRD_IGNITION_PATH, data: config, mode: 0o600 }], opts);
}

function skipZeros(buf: Uint8Array, pos: number): number {
  while (pos < buf.length && buf[pos] === 0) pos++;
  return pos;
}

/** Read every cpio archive in `buf` (zero padding between them allowed) into `files`; later members win. */
function readArchives(buf: Uint8Array, files: Map<string, Buffer>, where: string): void {
  let pos = skipZeros(buf, 0);
  while (pos < buf.length) {
    if (!isCpioAt(buf, pos)) {
      throw new Day0Error(`${where}: unrecognized data at offset ${pos} (not a newc cpio archive)`, {
        fix: 'the initrd is damaged or uses an unsupported format; recreate it',
      });
    }
    const archive = readCpio(buf, pos);
    addMembers(archive.members, files);
    pos = skipZeros(buf, archive.end);
  }
}

function addMembers(members: readonly CpioMember[], files: Map<string, Buffer>): void {
  for (const m of members) {
    // Only regular files matter here; a later directory or link replaces an earlier file of the same name.
    if ((m.mode & S_IFMT) === S_IFREG) files.set(normalize(m.path), m.data);
    else files.delete(normalize(m.path));
  }
}

function normalize(path: string): string {
  return path.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

/**
 * All regular files in an initrd made of plain / gzip / xz / zstd cpio segments, concatenated, possibly with
 * zero padding between them. Later files with the same path replace earlier ones, as when the kernel unpacks.
 */
export async function unpackInitrd(input: Uint8Array): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let pos = skipZeros(input, 0);
  while (pos < input.length) {
    const kind = detectCompression(input, pos);
    const where = `initrd segment at offset ${pos}`;
    switch (kind) {
      case 'plain': {
        if (!isCpioAt(input, pos)) {
          throw new Day0Error(`${where}: neither a cpio archive nor gzip/xz/zstd data`, {
            fix: 'pass an initrd (newc cpio, optionally gzip/xz/zstd compressed)',
          });
        }
        const archive = readCpio(input, pos);
        addMembers(archive.members, files);
        pos = archive.end;
        break;
      }
      case 'gzip': {
        const member = gunzipMember(input, pos);
        readArchives(member.data, files, where);
        pos = member.end;
        break;
      }
      case 'xz':
      case 'zstd': {
        const end = kind === 'xz' ? xzStreamEnd(input, pos) : zstdFrameEnd(input, pos);
        readArchives(await decompress(input.subarray(pos, end), kind), files, where);
        pos = end;
        break;
      }
    }
    pos = skipZeros(input, pos);
  }
  return files;
}

/** The `config.ign` of an initrd (see unpackInitrd for the formats read). */
export async function unpackIgnitionInitrd(buf: Uint8Array): Promise<Buffer> {
  const config = (await unpackInitrd(buf)).get(INITRD_IGNITION_PATH);
  if (!config) {
    throw new Day0Error('no Ignition config (config.ign) in this initrd', {
      fix: 'pass an initrd made by `day0 pxe ignition wrap` or `coreos-installer pxe ignition wrap`',
    });
  }
  return config;
}
