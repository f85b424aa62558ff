// The embed areas of a CoreOS-style live ISO, as coreos-installer defines them (pure logic, no I/O):
//
// - coreos/igninfo.json `{"file": "images/ignition.img", "offset"?: N, "length"?: L}` names the Ignition area:
//   bytes [offset, offset+length) of that file (length defaults to the rest of the file). All zeros = no config;
//   otherwise a compressed cpio initrd holding config.ign, zero-filled to the end of the area.
// - coreos/kargs.json `{"default": "...", "files": [{"path", "offset", "pad"?, "end"?}], "size": S}` lists
//   areas of S bytes inside bootloader configs. Each holds the kernel arguments + `end` (default "\n"), then
//   `pad` (default "#") up to S bytes. All areas must hold the same arguments.

import { z } from 'zod';
import { Day0Error } from '../util/errors.js';

/** Level-1 (8.3) names, as they appear in the ISO's primary directory tree. */
export const IGNINFO_PATH = 'COREOS/IGNINFO.JSO';
export const KARGS_INFO_PATH = 'COREOS/KARGS.JSO';
export const FEATURES_PATH = 'COREOS/FEATURES.JSO';
/** Ignition area of ISOs older than igninfo.json: the whole of this file. */
export const DEFAULT_IGNITION_IMAGE = 'IMAGES/IGNITION.IMG';
export const KARGS_AREA_MAX_SIZE = 2048;
/** Stock areas are 256 KiB; anything beyond this is metadata damage, not an area to read into memory. */
export const IGNITION_AREA_MAX_SIZE = 64 * 1024 * 1024;

/** One area of the ISO image, in absolute bytes. */
export interface Area {
  offset: number;
  length: number;
}

function badMetadata(file: string, why: string): Day0Error {
  return new Day0Error(`invalid ${file} in the ISO image: ${why}`, {
    fix: 'the ISO was not built as a CoreOS-style live ISO, or is damaged; rebuild it',
  });
}

function parseJson<T>(file: string, schema: z.ZodType<T>, text: Buffer | string): T {
  let value: unknown;
  try {
    value = JSON.parse(text.toString().trim());
  } catch (err) {
    throw badMetadata(file, `not JSON (${(err as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw badMetadata(file, `${issue?.path.join('.') || 'document'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

// --- Ignition area ---

const IgnInfoSchema = z.object({
  file: z.string().min(1),
  offset: z.number().int().nonnegative().optional(),
  length: z.number().int().positive().optional(),
});
export type IgnInfo = z.infer<typeof IgnInfoSchema>;

export function parseIgnInfo(text: Buffer | string): IgnInfo {
  return parseJson('coreos/igninfo.json', IgnInfoSchema, text);
}

/** The igninfo `file` as a level-1 ISO path ("images/ignition.img" → "IMAGES/IGNITION.IMG"). */
export function isoPathOf(path: string): string {
  return path.replace(/^\/+/, '').toUpperCase();
}

/** Absolute location of the Ignition area, given where igninfo's file lies in the image. */
export function ignitionAreaOf(info: IgnInfo, file: { offset: number; size: number }): Area {
  const start = info.offset ?? 0;
  const length = info.length ?? file.size - start;
  if (length > IGNITION_AREA_MAX_SIZE) {
    throw badMetadata('coreos/igninfo.json', `area of ${length} bytes is larger than ${IGNITION_AREA_MAX_SIZE}`);
  }
  if (start > file.size || length <= 0 || start + length > file.size) {
    throw badMetadata(
      'coreos/igninfo.json',
      `area (offset ${start}, length ${length}) lies outside ${info.file} (${file.size} bytes)`,
    );
  }
  return { offset: file.offset + start, length };
}

export function isAllZero(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The new contents of the Ignition area: the initrd (or nothing) then zeros. Too large → error, nothing built. */
export function buildIgnitionArea(initrd: Uint8Array | undefined, length: number): Buffer {
  const area = Buffer.alloc(length);
  if (!initrd) return area;
  if (initrd.length > length) {
    throw new Day0Error(
      `Ignition config too large for the ISO's embed area: ${initrd.length} bytes compressed, area holds ${length}`,
      {
        fix: 'shrink the config (fetch large files by URL with `contents.source` instead of inlining them), or serve it by ignition.config.url=',
      },
    );
  }
  area.set(initrd, 0);
  return area;
}

// --- kernel-argument areas ---

const singleByteChar = z
  .string()
  .length(1)
  .refine((c) => c.charCodeAt(0) < 0x80, 'must be one ASCII character');

const KargsInfoSchema = z
  .object({
    default: z.string(),
    files: z
      .array(
        z.object({
          path: z.string().min(1),
          offset: z.number().int().nonnegative(),
          pad: singleByteChar.optional(),
          end: singleByteChar.optional(),
        }),
      )
      .min(1),
    size: z.number().int().positive().max(KARGS_AREA_MAX_SIZE),
  })
  .refine((info) => Buffer.byteLength(info.default) < info.size, {
    message: 'default kernel arguments are longer than the embed areas',
  });
export type KargsInfo = z.infer<typeof KargsInfoSchema>;

export function parseKargsInfo(text: Buffer | string): KargsInfo {
  return parseJson('coreos/kargs.json', KargsInfoSchema, text);
}

/** One kernel-argument area, resolved to absolute bytes of the image. */
export interface KargsArea extends Area {
  /** The file (as named in kargs.json) the area lives in. */
  path: string;
  pad: string;
  end: string;
}

/** Resolve kargs.json's file entries, given where each file lies in the image. */
export function kargsAreasOf(info: KargsInfo, fileAt: (path: string) => { offset: number; size: number }): KargsArea[] {
  return info.files
    .map((f) => {
      const file = fileAt(f.path);
      if (f.offset + info.size > file.size) {
        throw badMetadata('coreos/kargs.json', `area at offset ${f.offset} (${info.size} bytes) lies outside ${f.path}`);
      }
      return { path: f.path, offset: file.offset + f.offset, length: info.size, pad: f.pad ?? '#', end: f.end ?? '\n' };
    })
    .sort((a, b) => a.offset - b.offset);
}

function trimEndChar(s: string, c: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === c) end--;
  return s.slice(0, end);
}

/** The kernel arguments held in one area: strip the pad run, then the end character, then whitespace. */
export function parseKargsArea(bytes: Uint8Array, area: Pick<KargsArea, 'pad' | 'end' | 'path'>): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Day0Error(`the kernel-argument area in ${area.path} is not valid UTF-8`, {
      fix: 'the ISO is damaged; run `day0 iso kargs reset` or rebuild it',
    });
  }
  return trimEndChar(trimEndChar(text, area.pad), area.end).trim();
}

/** The current kernel arguments: every area must hold the same. */
export function currentKargs(areas: readonly { area: KargsArea; bytes: Uint8Array }[]): string {
  const [first, ...rest] = areas;
  if (!first) throw badMetadata('coreos/kargs.json', 'no kernel-argument areas listed');
  const kargs = parseKargsArea(first.bytes, first.area);
  for (const { area, bytes } of rest) {
    const other = parseKargsArea(bytes, area);
    if (other !== kargs) {
      throw new Day0Error(
        `the kernel-argument areas disagree: ${first.area.path} has "${kargs}" but ${area.path} has "${other}"`,
        { fix: 'run `day0 iso kargs reset ISO` to restore the default kernel arguments, then modify them again' },
      );
    }
  }
  return kargs;
}

/** The bytes of one area holding `kargs`: kargs + end, then pad up to the area size. */
export function buildKargsArea(kargs: string, area: Pick<KargsArea, 'length' | 'pad' | 'end'>): Buffer {
  const text = kargs.trim();
  // Control characters would end the bootloader line early; a trailing pad character would be read back as pad.
  if (/[\x00-\x1f\x7f]/.test(text) || text.includes(area.end) || (text !== '' && text.endsWith(area.pad))) {
    throw new Day0Error('kernel arguments contain a control character or end with the area padding character', {
      fix: 'remove newlines/control characters from the kernel arguments',
    });
  }
  const body = Buffer.from(text + area.end, 'utf8');
  if (body.length > area.length) {
    throw new Day0Error(
      `kernel arguments too long for the ISO's embed area: ${body.length} bytes with the terminator, area holds ${area.length}`,
      { fix: 'remove or shorten some kernel arguments' },
    );
  }
  const out = Buffer.alloc(area.length, area.pad.charCodeAt(0));
  body.copy(out, 0);
  return out;
}

/** Edits of a kernel command line with coreos-installer's semantics (see applyKargsEdit). */
export interface KargsEdit {
  append?: readonly string[];
  delete?: readonly string[];
  /** KEY=OLD=NEW: replace the argument KEY=OLD by KEY=NEW. */
  replace?: readonly string[];
}

export function isEmptyEdit(edit: KargsEdit): boolean {
  return !edit.append?.length && !edit.delete?.length && !edit.replace?.length;
}

function replaceWhole(line: string, from: string, to: string): string {
  // Matches are whole space-separated arguments (the line carries a space at each end).
  let out = line;
  for (let prev = ''; prev !== out; ) {
    prev = out;
    out = out.split(from).join(to);
  }
  return out;
}

/**
 * Apply deletions, then appends, then replacements (coreos-installer's order, whatever the order of flags).
 * Deleting matches whole arguments (every occurrence; "foo" does not touch "foobar"); an argument absent from
 * the line is not an error. Replacement uses KEY=OLD=NEW.
 */
export function applyKargsEdit(current: string, edit: KargsEdit): string {
  let line = ` ${current.trim()} `;
  for (const karg of edit.delete ?? []) {
    const k = karg.trim();
    if (k) line = replaceWhole(line, ` ${k} `, ' ');
  }
  for (const karg of edit.append ?? []) {
    const k = karg.trim();
    if (k) line += `${k} `;
  }
  for (const spec of edit.replace ?? []) {
    const m = /^([^=]+)=([^=]+)=([^=]+)$/.exec(spec.trim());
    if (!m) {
      throw new Day0Error(`invalid kernel-argument replacement "${spec}": expected KEY=OLD=NEW`, {
        fix: 'write it as KEY=OLD=NEW, e.g. console=ttyS0=ttyS1',
      });
    }
    line = replaceWhole(line, ` ${m[1]}=${m[2]} `, ` ${m[1]}=${m[3]} `);
  }
  return line.trim().split(/ +/).join(' ');
}

// --- OS features (coreos/features.json) ---

const FeaturesSchema = z.looseObject({
  'installer-config': z.boolean().optional(),
  'live-initrd-network': z.boolean().optional(),
});
export type OsFeatures = z.infer<typeof FeaturesSchema>;

export function parseFeatures(text: Buffer | string): OsFeatures {
  return parseJson('coreos/features.json', FeaturesSchema, text);
}
