// `iso extract pxe` and `iso extract minimal-iso`, after coreos-installer:
//
// - pxe: every file of IMAGES/PXEBOOT (vmlinuz, initrd.img, rootfs.img) is copied to OUTDIR as
//   `<ISO name without extension>-<lower-case file name>`, e.g. live.x86_64-vmlinuz; existing files are refused
//   ("File exists") unless forced.
// - minimal-iso: the minimal ISO is rebuilt from coreos/miniso.dat (see miniso.ts) and the full ISO, which must be
//   uncustomized; its `coreos.liveiso=` karg is removed from the live and default kernel arguments (the minimal
//   ISO has no root filesystem), and `coreos.live.rootfs_url=URL` added when asked.
//
// Outputs are written through temporary files and appear complete or not at all.

import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { Day0Error } from '../util/errors.js';
import { decompress } from '../formats/compress.js';
import { applyKargsEdit, buildKargsArea, KARGS_INFO_PATH } from '../formats/embed-areas.js';
import { fileHandleSource, Iso9660, normalizeIsoName } from '../formats/iso9660.js';
import { decodeMiniso, MINISO_PATH, unpackMiniso } from './miniso.js';
import { isCustomized, readIsoEmbedInfo, refuseExistingOutput, writeOutputAtomically, writePatches } from './iso-embed.js';

export const PXEBOOT_DIR = 'IMAGES/PXEBOOT';
export const ROOTFS_PATH = 'IMAGES/PXEBOOT/ROOTFS.IMG';

async function openRead(path: string): Promise<Awaited<ReturnType<typeof open>>> {
  try {
    return await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Day0Error(`${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'cannot open')}`, { fix: 'check the path' });
  }
}

/** Copy `size` bytes at `offset` of `isoPath` to `dest` (atomically; refused if it exists unless `force`). */
async function copyOut(isoPath: string, offset: number, size: number, dest: string, force: boolean, mode = 0o644): Promise<void> {
  await writeOutputAtomically(
    dest,
    mode,
    async (fh) => {
      if (size === 0) return;
      const out = new Writable({
        write(chunk: Buffer, _enc, cb) {
          fh.write(chunk).then(() => cb(), cb);
        },
      });
      await pipeline(createReadStream(isoPath, { start: offset, end: offset + size - 1, highWaterMark: 4 << 20 }), out);
    },
    { overwrite: force },
  );
}

/** The names `iso extract pxe` gives: "<stem>-<lower-case name>" for each file of IMAGES/PXEBOOT. */
export function pxeOutputName(isoPath: string, isoName: string): string {
  const base = basename(isoPath);
  const ext = extname(base);
  const stem = ext ? base.slice(0, -ext.length) : base;
  return `${stem}-${normalizeIsoName(isoName).toLowerCase()}`;
}

/** Extract the PXE files; returns the paths written, in directory order. */
export async function extractPxe(isoPath: string, outDir: string, opts: { force?: boolean } = {}): Promise<string[]> {
  const fh = await openRead(isoPath);
  let files: { name: string; offset: number; size: number }[];
  try {
    const iso = await Iso9660.open(await fileHandleSource(fh));
    const dir = await iso.lookup(PXEBOOT_DIR);
    if (!dir || !dir.isDirectory) {
      throw new Day0Error(`${isoPath} is not a CoreOS-style live ISO: it has no ${PXEBOOT_DIR} directory`, {
        fix: 'use a live ISO built by `day0 build iso` or a CoreOS live ISO',
      });
    }
    files = (await iso.readDir(dir))
      .filter((r) => !r.isDirectory)
      .map((r) => ({ name: r.name, offset: r.lba * 2048, size: r.size }));
  } finally {
    await fh.close();
  }
  const targets = files.map((f) => ({ ...f, dest: join(outDir, pxeOutputName(isoPath, f.name)) }));
  await mkdir(outDir, { recursive: true });
  for (const t of targets) await refuseExistingOutput(t.dest, opts.force === true); // all checked before any is written
  for (const t of targets) await copyOut(isoPath, t.offset, t.size, t.dest, opts.force === true);
  return targets.map((t) => t.dest);
}

export interface MinimalIsoOptions {
  force?: boolean;
  /** Add coreos.live.rootfs_url=URL to the minimal ISO's kernel arguments. */
  rootfsUrl?: string;
  /** Also write the full ISO's rootfs.img here. */
  outputRootfs?: string;
}

/** Rebuild the minimal ISO into `output`. */
export async function extractMinimalIso(isoPath: string, output: string, opts: MinimalIsoOptions = {}): Promise<void> {
  if (opts.rootfsUrl !== undefined && /\s/.test(opts.rootfsUrl)) {
    throw new Day0Error(`forbidden whitespace in --rootfs-url`, { fix: 'pass a URL without spaces' });
  }
  await refuseExistingOutput(output, opts.force === true);
  if (opts.outputRootfs) await refuseExistingOutput(opts.outputRootfs, opts.force === true);
  const info = await readIsoEmbedInfo(isoPath);
  if (isCustomized(info)) {
    throw new Day0Error('Cannot operate on ISO with embedded customizations.', {
      fix: 'reset it first (`day0 iso ignition remove` and `day0 iso kargs reset`, or start from the original ISO)',
    });
  }

  const fh = await openRead(isoPath);
  try {
    const src = await fileHandleSource(fh);
    const iso = await Iso9660.open(src);
    const dat = await iso.findFile(MINISO_PATH);
    if (!dat) {
      throw new Day0Error('This ISO image does not support extracting a minimal ISO.', {
        fix: 'the ISO has no coreos/miniso.dat; rebuild it with a day0 that writes one',
      });
    }
    const data = decodeMiniso(await iso.readFile(dat, dat.size));
    const unpacked = await decompress(data.xzpacked, 'xz');
    if (opts.outputRootfs) {
      const rootfs = await iso.getFile(ROOTFS_PATH);
      await copyOut(isoPath, rootfs.offset, rootfs.size, opts.outputRootfs, opts.force === true);
    }
    await writeOutputAtomically(
      output,
      0o644,
      async (out) => {
        let pos = 0;
        await unpackMiniso(data, unpacked, src, async (chunk) => {
          await writePatches(out, [{ offset: pos, data: chunk }]);
          pos += chunk.length;
        });
        await rewriteMinimalKargs(out, opts.rootfsUrl);
      },
      { overwrite: opts.force === true },
    );
  } finally {
    await fh.close();
  }
}

/** Drop coreos.liveiso= (and add the rootfs URL) in the kargs areas and in kargs.json's default, as upstream. */
async function rewriteMinimalKargs(out: Awaited<ReturnType<typeof open>>, rootfsUrl: string | undefined): Promise<void> {
  const iso = await Iso9660.open(await fileHandleSource(out));
  const jsonFile = await iso.findFile(KARGS_INFO_PATH);
  if (!jsonFile) throw new Day0Error('the minimal ISO has no coreos/kargs.json', { fix: 'rebuild the ISO with `day0 build iso`' });
  const raw = await iso.readFile(jsonFile);
  const info = JSON.parse(raw.toString('utf8').trim()) as {
    default: string;
    files: { path: string; offset: number; pad?: string; end?: string }[];
    size: number;
  };
  const liveiso = info.default.split(/\s+/).find((k) => k.startsWith('coreos.liveiso='));
  if (!liveiso) throw new Day0Error('minimal ISO does not have coreos.liveiso= karg', { fix: 'rebuild the ISO with `day0 build iso`' });
  const newDefault = applyKargsEdit(info.default, { delete: [liveiso] });
  const kargs = rootfsUrl ? applyKargsEdit(newDefault, { append: [`coreos.live.rootfs_url=${rootfsUrl}`] }) : newDefault;
  const patches = [];
  for (const f of info.files) {
    const file = await iso.getFile(f.path.replace(/^\/+/, '').toUpperCase());
    patches.push({ offset: file.offset + f.offset, data: buildKargsArea(kargs, { length: info.size, pad: f.pad ?? '#', end: f.end ?? '\n' }) });
  }
  // Pretty, as upstream rewrites it, unless only the compact form fits the file (the default only got shorter).
  const doc = { ...info, default: newDefault };
  const pretty = Buffer.from(JSON.stringify(doc, null, 2));
  const json = pretty.length <= jsonFile.size ? pretty : Buffer.from(JSON.stringify(doc));
  if (json.length > jsonFile.size) throw new Day0Error('the new coreos/kargs.json does not fit in its file', { fix: 'report this as a bug' });
  patches.push({ offset: jsonFile.offset, data: Buffer.concat([json, Buffer.alloc(jsonFile.size - json.length, 0x20)]) });
  await writePatches(out, patches);
}
