// Reading and rewriting the embed areas of a CoreOS-style live ISO (`iso ignition …`, `iso kargs …`).
//
// Only the areas are ever read whole (a few hundred KiB at most) and, in place, only they are written: the cost
// of an edit is the size of the areas, not of the ISO. Everything is computed and checked before the first byte
// is written, so a refused edit ("too large", "already customized", …) leaves the file untouched. With an
// output path the ISO is copied (reflink / copy_file_range when the filesystem can) to a temporary file next to
// the output, patched, fsynced and renamed into place; the temporary file is removed on failure and on
// SIGINT/SIGTERM, so the output is either complete or absent.
//
// Ignition configs are secrets: they are never logged, and files holding one are created mode 0600.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { copyFile, link, lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { onCleanup } from '../util/cleanup.js';
import { reclaimDead } from '../util/stale.js';
import { Day0Error } from '../util/errors.js';
import {
  buildIgnitionArea,
  buildKargsArea,
  currentKargs,
  DEFAULT_IGNITION_IMAGE,
  FEATURES_PATH,
  IGNINFO_PATH,
  ignitionAreaOf,
  isAllZero,
  isoPathOf,
  KARGS_INFO_PATH,
  kargsAreasOf,
  parseFeatures,
  parseIgnInfo,
  parseKargsInfo,
  applyKargsEdit,
  type Area,
  type KargsArea,
  type KargsEdit,
  type OsFeatures,
} from '../formats/embed-areas.js';
import { fileHandleSource, Iso9660 } from '../formats/iso9660.js';
import {
  checkIgnitionConfig,
  INITRD_IGNITION_PATH,
  packInitrd,
  unpackInitrd,
  type InitrdCompression,
  type InitrdFile,
} from '../formats/ignition-initrd.js';

export interface IsoEmbedInfo {
  /** The ISO's volume label. */
  volumeId: string;
  /** Volume size in bytes (the file may be longer, never shorter). */
  volumeBytes: number;
  /** The Ignition area in absolute bytes, the ISO file it lies in, and whether it is all zeros (no config). */
  ignition: Area & { file: string; empty: boolean };
  /** Kernel-argument areas; absent on ISOs without coreos/kargs.json. */
  kargs?: { areas: KargsArea[]; default: string; current: string };
  /** coreos/features.json, or {} when absent. */
  features: OsFeatures;
}

/** A write of `data` at absolute byte `offset` of the ISO. */
export interface Patch {
  offset: number;
  data: Buffer;
}

export interface OutputOptions {
  /** Write a patched copy here instead of editing the ISO in place. */
  output?: string;
  /** Replace `output` if it exists (-f/--force); otherwise an existing output is refused ("File exists"). */
  overwrite?: boolean;
}

interface LoadedIso {
  info: IsoEmbedInfo;
  /** Current bytes of the Ignition area. */
  ignitionBytes: Buffer;
}

function fsError(err: unknown, path: string, action: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Day0Error(`${path}: no such file`, { fix: 'check the path' });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new Day0Error(`${path}: permission denied (${action})`, {
      fix: action === 'opening for writing' ? 'pass -o OUTPUT to write a modified copy instead' : 'check the file permissions',
    });
  }
  if (code === 'EISDIR') return new Day0Error(`${path} is a directory`, { fix: 'pass a file' });
  return err;
}

async function openIso(path: string, write: boolean): Promise<FileHandle> {
  try {
    return await open(path, write ? 'r+' : 'r');
  } catch (err) {
    throw fsError(err, path, write ? 'opening for writing' : 'opening');
  }
}

/**
 * A metadata file missing under its level-1 name but present under a longer one ("COREOS/IGNINFO.JSON") means
 * the ISO was written with ISO level 2/3 names, which coreos-installer cannot read either: say so.
 */
async function refuseLongNames(iso: Iso9660, missing: boolean, level1: string): Promise<void> {
  if (!missing) return;
  const long = `${level1}N`; // IGNINFO.JSO → IGNINFO.JSON, KARGS.JSO → KARGS.JSON
  if (await iso.findFile(long).catch(() => undefined)) {
    throw new Day0Error(`the ISO has ${long} instead of ${level1}: it was written with ISO level 2/3 file names`, {
      fix: 'rebuild the ISO with ISO level-1 names (xorriso -as mkisofs -iso-level 1, plus -R -J for long names)',
    });
  }
}

async function loadIso(fh: FileHandle): Promise<LoadedIso> {
  const iso = await Iso9660.open(await fileHandleSource(fh));

  const igninfoFile = await iso.findFile(IGNINFO_PATH);
  await refuseLongNames(iso, igninfoFile === undefined, IGNINFO_PATH);
  const igninfo = igninfoFile ? parseIgnInfo(await iso.readFile(igninfoFile)) : { file: DEFAULT_IGNITION_IMAGE };
  const areaFile = await iso.findFile(isoPathOf(igninfo.file));
  if (!areaFile) {
    throw new Day0Error(
      igninfoFile
        ? `the Ignition embed area file ${igninfo.file} named by coreos/igninfo.json is missing from the ISO`
        : 'not a CoreOS-style live ISO: neither COREOS/IGNINFO.JSO nor IMAGES/IGNITION.IMG is in its primary directory tree',
      {
        fix: 'use a live ISO built by `day0 build iso` or a CoreOS live ISO; its files must have ISO level-1 (8.3) names',
      },
    );
  }
  const area = ignitionAreaOf(igninfo, areaFile);
  const ignitionBytes = await iso.readAt(area.offset, area.length);

  let kargs: IsoEmbedInfo['kargs'];
  const kargsInfoFile = await iso.findFile(KARGS_INFO_PATH);
  await refuseLongNames(iso, kargsInfoFile === undefined, KARGS_INFO_PATH);
  if (kargsInfoFile) {
    const kargsInfo = parseKargsInfo(await iso.readFile(kargsInfoFile));
    const files = new Map<string, { offset: number; size: number }>();
    for (const f of kargsInfo.files) files.set(f.path, await iso.getFile(isoPathOf(f.path)));
    const areas = kargsAreasOf(kargsInfo, (p) => files.get(p)!);
    const read = await Promise.all(areas.map(async (a) => ({ area: a, bytes: await iso.readAt(a.offset, a.length) })));
    kargs = { areas, default: kargsInfo.default, current: currentKargs(read) };
  }

  const featuresFile = await iso.findFile(FEATURES_PATH);
  const features = featuresFile ? parseFeatures(await iso.readFile(featuresFile)) : {};

  return {
    info: {
      volumeId: iso.volumeId,
      volumeBytes: iso.volumeBytes,
      ignition: { ...area, file: igninfo.file, empty: isAllZero(ignitionBytes) },
      ...(kargs ? { kargs } : {}),
      features,
    },
    ignitionBytes,
  };
}

/** What the ISO's embed areas look like (reads metadata and the areas only). */
export async function readIsoEmbedInfo(isoPath: string): Promise<IsoEmbedInfo> {
  const fh = await openIso(isoPath, false);
  try {
    return (await loadIso(fh)).info;
  } finally {
    await fh.close();
  }
}

function requireKargs(info: IsoEmbedInfo): NonNullable<IsoEmbedInfo['kargs']> {
  if (!info.kargs) {
    throw new Day0Error('this ISO has no kernel-argument embed areas (no COREOS/KARGS.JSO)', {
      fix: 'rebuild the ISO with `day0 build iso`, or set kernel arguments in its bootloader configuration',
    });
  }
  return info.kargs;
}

/** Is the ISO customized: a non-empty Ignition area, or kernel arguments that differ from the default? */
export function isCustomized(info: IsoEmbedInfo): boolean {
  return !info.ignition.empty || (info.kargs !== undefined && info.kargs.current !== info.kargs.default);
}

/** Patches that set the Ignition area to `initrd` (or zeros when undefined); throws "too large" first. */
export function ignitionPatch(info: IsoEmbedInfo, initrd: Buffer | undefined): Patch {
  return { offset: info.ignition.offset, data: buildIgnitionArea(initrd, info.ignition.length) };
}

/** Patches that set every kernel-argument area to `kargs`; throws "too long" first. */
export function kargsPatches(info: IsoEmbedInfo, kargs: string): Patch[] {
  return requireKargs(info).areas.map((a) => ({ offset: a.offset, data: buildKargsArea(kargs, a) }));
}

/**
 * Open the ISO, let `plan` compute the patches from what is there (it may throw: nothing is written then), and
 * apply them in place or to a patched copy at `opts.output`.
 */
export async function patchIso(
  isoPath: string,
  opts: OutputOptions,
  plan: (loaded: IsoEmbedInfo, ignitionArea: Buffer) => Patch[] | Promise<Patch[]>,
): Promise<void> {
  if (opts.output !== undefined) await refuseExistingOutput(opts.output, opts.overwrite === true);
  const fh = await openIso(isoPath, opts.output === undefined);
  try {
    const { info, ignitionBytes } = await loadIso(fh);
    const patches = await plan(info, ignitionBytes);
    const ignitionPatched = patches.find((p) => p.offset === info.ignition.offset);
    const holdsConfig = !isAllZero(ignitionPatched?.data ?? ignitionBytes);
    if (opts.output === undefined) {
      await writePatches(fh, patches);
      await fh.sync();
    } else {
      const mode = holdsConfig ? 0o600 : (await fh.stat()).mode & 0o777;
      await writeOutputAtomically(
        opts.output,
        mode,
        async (out, tmpPath) => {
          await copyFile(isoPath, tmpPath, fsConstants.COPYFILE_FICLONE);
          await out.chmod(mode); // copyFile gave the copy the source's mode
          await writePatches(out, patches);
        },
        { overwrite: opts.overwrite === true },
      );
    }
  } finally {
    await fh.close();
  }
}

/** Write each patch at its offset. */
export async function writePatches(fh: FileHandle, patches: readonly Patch[]): Promise<void> {
  for (const p of patches) {
    let done = 0;
    while (done < p.data.length) {
      const { bytesWritten } = await fh.write(p.data, done, p.data.length - done, p.offset + done);
      done += bytesWritten;
    }
  }
}

function fileExists(output: string): Day0Error {
  return new Day0Error(`${output}: File exists`, {
    fix: 'pass -f/--force to replace it, or choose another output path',
  });
}

/** Refuse an output path that exists (any kind of file) unless `overwrite`; checked before any work is done. */
export async function refuseExistingOutput(output: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  const st = await lstat(output).catch(() => undefined);
  if (st) throw fileExists(output);
}

/**
 * Create `output` atomically: `fill` writes a temporary file (created exclusively, mode 0600 then `mode`) in the
 * output's directory; it is fsynced and put in place. Without `overwrite`, an existing `output` is never replaced
 * (it is linked into place, which fails if the name exists: "File exists", as coreos-installer's persist_noclobber);
 * with it, the temporary file is renamed over `output`. On failure, or on SIGINT/SIGTERM (through the shared
 * cleanup registry), the temporary file is removed and `output` is left as it was.
 */
export async function writeOutputAtomically(
  output: string,
  mode: number,
  fill: (fh: FileHandle, tmpPath: string) => Promise<void>,
  opts: { overwrite?: boolean } = {},
): Promise<void> {
  const target = resolve(output);
  const dir = dirname(target);
  await refuseExistingOutput(output, opts.overwrite === true);
  // The pid in the name lets a later run remove what a killed one left (`.NAME.day0-<pid>-<hex>.tmp`).
  const esc = basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await reclaimDead(dir, new RegExp(`^\\.${esc}\\.day0-(\\d+)-[0-9a-f]+\\.tmp$`));
  const tmpPath = join(dir, `.${basename(target)}.day0-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let fh: FileHandle;
  try {
    fh = await open(tmpPath, 'wx+', 0o600); // readable too: fill may read back what it wrote
  } catch (err) {
    throw fsError(err, dir, 'creating a file in the output directory');
  }
  const cleanup = onCleanup(`temporary file ${tmpPath}`, () => rm(tmpPath, { force: true }));
  let fhOpen = true;
  try {
    await fh.chmod(mode);
    await fill(fh, tmpPath);
    await fh.sync();
    fhOpen = false;
    await fh.close();
    if (opts.overwrite) {
      await rename(tmpPath, target);
    } else {
      await placeNoClobber(tmpPath, target, output);
    }
    cleanup.release();
  } catch (err) {
    if (fhOpen) await fh.close().catch(() => undefined);
    await cleanup.dispose();
    throw err;
  }
  await syncDir(dir);
}

/** Put `tmp` at `target` only if `target` does not exist: link + unlink (atomic), or check + rename where links fail. */
async function placeNoClobber(tmp: string, target: string, shown: string): Promise<void> {
  try {
    await link(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw fileExists(shown);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    // A filesystem without hard links (vfat): the best that can be done without them.
    if (await lstat(target).catch(() => undefined)) throw fileExists(shown);
    await rename(tmp, target);
    return;
  }
  await rm(tmp, { force: true });
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is done.
  }
}

// --- the commands' operations ---

/** The embedded Ignition config (error if none). */
export async function showIgnition(isoPath: string): Promise<Buffer> {
  const fh = await openIso(isoPath, false);
  try {
    const { info, ignitionBytes } = await loadIso(fh);
    const config = info.ignition.empty ? undefined : (await unpackInitrd(ignitionBytes)).get(INITRD_IGNITION_PATH);
    if (!config) {
      throw new Day0Error(`${isoPath} has no embedded Ignition config`, {
        fix: 'embed one with `day0 iso ignition embed -i CONFIG ISO` or `day0 iso customize`',
      });
    }
    return config;
  } finally {
    await fh.close();
  }
}

export interface EmbedOptions extends OutputOptions {
  /** Replace an existing embedded config. */
  force?: boolean;
  /** xz (default, CRC32 check, what coreos-installer writes) or gzip. */
  compression?: InitrdCompression;
}

/** The members of the Ignition area's initrd (empty when the area is all zeros). */
export async function areaMembers(area: Buffer): Promise<Map<string, Buffer>> {
  return isAllZero(area) ? new Map() : unpackInitrd(area);
}

/** Repack area members (all 0600: a config, keyfiles) into an initrd, or undefined when none are left. */
async function repack(members: Map<string, Buffer>, compression: InitrdCompression): Promise<Buffer | undefined> {
  if (members.size === 0) return undefined;
  const files: InitrdFile[] = [...members].map(([path, data]) => ({ path, data, mode: 0o600 }));
  return packInitrd(files, { compression });
}

/**
 * Embed `config` as the ISO's live Ignition config. Other members of the area (network keyfiles under
 * etc/coreos-firstboot-network/, as `iso customize --network-keyfile` or coreos-installer put them) are kept.
 */
export async function embedIgnition(isoPath: string, config: Buffer, opts: EmbedOptions = {}): Promise<void> {
  checkIgnitionConfig(config, 'the Ignition config');
  await patchIso(isoPath, opts, async (info, area) => {
    const members = await areaMembers(area);
    if (members.has(INITRD_IGNITION_PATH) && !opts.force) {
      throw new Day0Error(`${isoPath} already has an embedded Ignition config`, {
        fix: 'pass -f/--force to replace it, or remove it first with `day0 iso ignition remove`',
      });
    }
    // Kept members go first, the config last, as coreos-installer orders a rewritten archive's new member.
    members.delete(INITRD_IGNITION_PATH);
    members.set(INITRD_IGNITION_PATH, config);
    return [ignitionPatch(info, await repack(members, opts.compression ?? 'xz'))];
  });
}

/** Remove the embedded config (other members such as network keyfiles stay); zeros when nothing is left. */
export async function removeIgnition(isoPath: string, opts: OutputOptions = {}): Promise<void> {
  await patchIso(isoPath, opts, async (info, area) => {
    const members = await areaMembers(area);
    members.delete(INITRD_IGNITION_PATH);
    return [ignitionPatch(info, await repack(members, 'xz'))];
  });
}

/** NetworkManager keyfiles embedded in the ISO's area, by file name (coreos-installer's INITRD_NETWORK_DIR). */
export async function readNetworkKeyfiles(isoPath: string): Promise<Map<string, Buffer>> {
  const fh = await openIso(isoPath, false);
  try {
    const { ignitionBytes } = await loadIso(fh);
    return networkMembers(await areaMembers(ignitionBytes));
  } finally {
    await fh.close();
  }
}

export const NETWORK_DIR = 'etc/coreos-firstboot-network';

/** The members directly under etc/coreos-firstboot-network/, by file name, in archive order. */
export function networkMembers(members: Map<string, Buffer>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [path, data] of members) {
    const m = /^etc\/coreos-firstboot-network\/([^/]+)$/.exec(path);
    if (m) out.set(m[1]!, data);
  }
  return out;
}

/** The current (or, with `default`, the default) live kernel arguments. */
export async function showKargs(isoPath: string, opts: { default?: boolean } = {}): Promise<string> {
  const kargs = requireKargs(await readIsoEmbedInfo(isoPath));
  return opts.default ? kargs.default : kargs.current;
}

/** Edit the current live kernel arguments; returns the new ones. */
export async function modifyKargs(isoPath: string, edit: KargsEdit, opts: OutputOptions = {}): Promise<string> {
  let result = '';
  await patchIso(isoPath, opts, (info) => {
    result = applyKargsEdit(requireKargs(info).current, edit);
    return kargsPatches(info, result);
  });
  return result;
}

/** Restore the default live kernel arguments; returns them. */
export async function resetKargs(isoPath: string, opts: OutputOptions = {}): Promise<string> {
  let result = '';
  await patchIso(isoPath, opts, (info) => {
    result = requireKargs(info).default;
    return kargsPatches(info, result);
  });
  return result;
}

/**
 * `iso network embed`: put NetworkManager keyfiles into the area (beside an embedded config, which stays), as
 * coreos-installer does: refused unless features.json declares "live-initrd-network"; existing keyfiles are
 * refused unless `force` (then all of them are replaced).
 */
export async function embedNetwork(
  isoPath: string,
  keyfiles: readonly { name: string; data: Buffer }[],
  opts: OutputOptions & { force?: boolean; compression?: InitrdCompression } = {},
): Promise<void> {
  const { checkFeatures, readIsoFeatures } = await import('./features.js');
  checkFeatures(await readIsoFeatures(isoPath), { directives: [], network: true });
  await patchIso(isoPath, opts, async (info, area) => {
    const members = await areaMembers(area);
    const existing = [...members.keys()].filter((p) => p.startsWith(`${NETWORK_DIR}/`));
    if (existing.length > 0 && !opts.force) {
      throw new Day0Error('This ISO image already has embedded network settings', { fix: 'pass -f/--force to replace them' });
    }
    for (const p of existing) members.delete(p);
    for (const k of keyfiles) {
      const name = basename(k.name);
      const path = `${NETWORK_DIR}/${name}`;
      if (!name || name === '.' || name === '..') throw new Day0Error(`invalid NetworkManager keyfile name: ${k.name}`, { fix: 'pass a path to a keyfile' });
      if (members.has(path)) throw new Day0Error(`multiple input files named '${name}'`, { fix: 'give each keyfile a distinct name' });
      members.set(path, k.data);
    }
    return [ignitionPatch(info, await repack(members, opts.compression ?? 'xz'))];
  });
}

/** `iso network remove`: drop the embedded keyfiles (an embedded config stays). */
export async function removeNetwork(isoPath: string, opts: OutputOptions = {}): Promise<void> {
  await patchIso(isoPath, opts, async (info, area) => {
    const members = await areaMembers(area);
    for (const p of [...members.keys()]) if (p.startsWith(`${NETWORK_DIR}/`)) members.delete(p);
    return [ignitionPatch(info, await repack(members, 'xz'))];
  });
}
