// `iso customize` and `pxe customize`, after coreos-installer: everything the user asks for becomes one live
// Ignition config, which goes into the ISO's Ignition embed area or is appended to a PXE initramfs.
//
// - --live-ignition: the user's live configs. One alone is embedded as is; several (or one plus anything below)
//   are combined by a wrapper config that `ignition.config.merge`s each of them as a gzip data: URL. The wrapper
//   is spec 3.3.0 (any Ignition from 2021 on, e.g. Debian's 2.14, reads it); merged configs keep their own spec.
// - --network-keyfile: NetworkManager keyfiles, put beside config.ign in the same initrd under
//   etc/coreos-firstboot-network/NAME (mode 0600), exactly where coreos-installer puts them: the live
//   initramfs copies them for its own networking (and the installer's copy-network), and `iso network
//   extract` of either tool reads them back. Refused unless the ISO's features.json has "live-initrd-network".
// - --ignition-ca: a CA added to ignition.security.tls.certificateAuthorities of the live config (and of the
//   destination config, if there is one).
// - --dest-ignition, --dest-device, --dest-karg-append, --dest-karg-delete, --dest-console: settings for the
//   installer that runs on the live system. They become /etc/coreos/installer.d/0001-day0.yaml (coreos-installer's
//   config-file format: dest-device, ignition-file, append-karg, delete-karg, console, copy-network) plus the destination config at
//   /etc/coreos/dest.ign, both written by the live config (mode 0600). Refused unless the ISO's
//   coreos/features.json has "installer-config" (and lists each directive used, when it lists any).
// - --live-karg-append/-delete/-replace (ISO only): edit the ISO's default live kernel arguments.
//
// Configs are secrets: their content is never logged nor put into error messages.

import { constants as fsConstants, createReadStream } from 'node:fs';
import { copyFile, open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { Day0Error } from '../util/errors.js';
import { applyKargsEdit, isEmptyEdit, type KargsEdit } from '../formats/embed-areas.js';
import { detectCompression } from '../formats/compress.js';
import { isCpioAt } from '../formats/cpio.js';
import {
  checkIgnitionConfig,
  INITRD_IGNITION_PATH,
  packInitrd,
  type InitrdCompression,
  type InitrdFile,
} from '../formats/ignition-initrd.js';
import { checkFeatures, readIsoFeatures } from './features.js';
import {
  ignitionPatch,
  isCustomized,
  kargsPatches,
  patchIso,
  refuseExistingOutput,
  writeOutputAtomically,
  writePatches,
  type Patch,
} from './iso-embed.js';

export const WRAPPER_SPEC_VERSION = '3.3.0';
/** Where NetworkManager keyfiles go in the initrd (coreos-installer's INITRD_NETWORK_DIR). */
export const INITRD_NETWORK_DIR = 'etc/coreos-firstboot-network';
export const INSTALLER_CONFIG_PATH = '/etc/coreos/installer.d/0001-day0.yaml';
export const DEST_IGNITION_PATH = '/etc/coreos/dest.ign';

/** Options shared by `iso customize` and `pxe customize` (file paths, as given on the command line). */
export interface CommonCustomizeOptions {
  liveIgnition?: string[];
  destIgnition?: string[];
  destDevice?: string;
  destKargAppend?: string[];
  destKargDelete?: string[];
  /** Console for the installed system's kernel and GRUB (coreos-installer's --dest-console; repeatable). */
  destConsole?: string[];
  networkKeyfile?: string[];
  ignitionCa?: string[];
  /** Compression of the config initrd: xz (default, as coreos-installer) or gzip. */
  compression?: InitrdCompression;
}

export interface IsoCustomizeOptions extends CommonCustomizeOptions {
  liveKargAppend?: string[];
  liveKargDelete?: string[];
  liveKargReplace?: string[];
  output?: string;
  force?: boolean;
}

export interface PxeCustomizeOptions extends CommonCustomizeOptions {
  /** Output file, or "-" for stdout. */
  output: string;
  /** Replace an existing output file (otherwise refused: "File exists"). */
  force?: boolean;
}

/** A file's bytes and the name to report it by. */
export interface NamedData {
  name: string;
  data: Buffer;
}

/** Everything the live config is built from, already read. */
export interface LiveConfigInputs {
  liveConfigs: NamedData[];
  destConfigs: NamedData[];
  destDevice?: string;
  destKargAppend: string[];
  destKargDelete: string[];
  /** coreos-installer console specs (e.g. ttyS0,115200n8); absent = none. */
  destConsole?: string[];
  keyfiles: NamedData[];
  cas: NamedData[];
}

export interface CustomizeResult {
  /** The live system will run the installer (some --dest-* option was given). */
  installerRuns: boolean;
  /** …to this device, without confirmation. */
  destDevice?: string;
  /** New live kernel arguments (ISO only, when edited). */
  liveKargs?: string;
}

// --- reading inputs ---

function inputError(path: string, what: string, err: unknown): Day0Error {
  const code = (err as NodeJS.ErrnoException).code;
  return new Day0Error(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`, {
    fix: 'check the path and its permissions',
  });
}

/** Read a file the user named; a missing or unreadable file is a Day0Error naming it. */
export async function readInputFile(path: string, what = 'file'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw inputError(path, what, err);
  }
}

/** Read `path`, or stdin when `path` is undefined or "-" (refused when stdin is a terminal). */
export async function readFileOrStdin(path: string | undefined, what: string): Promise<Buffer> {
  if (path !== undefined && path !== '-') return readInputFile(path, what);
  if (process.stdin.isTTY) {
    throw new Day0Error(`no ${what} given`, { fix: `pass the ${what} as a file, or pipe it on stdin` });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readAll(paths: readonly string[] | undefined, what: string): Promise<NamedData[]> {
  return Promise.all((paths ?? []).map(async (p) => ({ name: p, data: await readInputFile(p, what) })));
}

export async function readCustomizeInputs(opts: CommonCustomizeOptions): Promise<LiveConfigInputs> {
  return {
    liveConfigs: await readAll(opts.liveIgnition, 'Ignition config'),
    destConfigs: await readAll(opts.destIgnition, 'Ignition config'),
    ...(opts.destDevice ? { destDevice: opts.destDevice } : {}),
    destKargAppend: opts.destKargAppend ?? [],
    destKargDelete: opts.destKargDelete ?? [],
    ...(opts.destConsole?.length ? { destConsole: opts.destConsole } : {}),
    keyfiles: await readAll(opts.networkKeyfile, 'NetworkManager keyfile'),
    cas: await readAll(opts.ignitionCa, 'CA certificate'),
  };
}

// --- building the live config (pure) ---

interface Resource {
  source: string;
  compression?: 'gzip';
}

/** An inline resource: gzip-compressed data: URL, as coreos-installer writes them. */
export function dataResource(data: Buffer): Resource {
  return { source: `data:;base64,${gzipSync(data, { level: 9 }).toString('base64')}`, compression: 'gzip' };
}

interface IgnitionFile {
  path: string;
  mode: number;
  contents: Resource;
}

function wrapperConfig(merge: readonly NamedData[], cas: readonly NamedData[], files: readonly IgnitionFile[]): Buffer {
  const ignition: Record<string, unknown> = { version: WRAPPER_SPEC_VERSION };
  if (merge.length) ignition.config = { merge: merge.map((c) => dataResource(c.data)) };
  if (cas.length) ignition.security = { tls: { certificateAuthorities: cas.map((c) => dataResource(c.data)) } };
  const config: Record<string, unknown> = { ignition };
  if (files.length) config.storage = { files };
  return Buffer.from(`${JSON.stringify(config)}\n`);
}

/** coreos-installer's config-file YAML. Strings are JSON-quoted, which YAML reads as double-quoted scalars. */
export function installerConfigYaml(c: {
  destDevice?: string;
  ignitionFile?: string;
  appendKarg: readonly string[];
  deleteKarg: readonly string[];
  console?: readonly string[];
  copyNetwork: boolean;
}): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['# Generated by day0 iso/pxe customize'];
  if (c.destDevice) lines.push(`dest-device: ${q(c.destDevice)}`);
  if (c.ignitionFile) lines.push(`ignition-file: ${q(c.ignitionFile)}`);
  for (const [key, list] of [['append-karg', c.appendKarg], ['delete-karg', c.deleteKarg], ['console', c.console ?? []]] as const) {
    if (list.length) lines.push(`${key}:`, ...list.map((k) => `  - ${q(k)}`));
  }
  if (c.copyNetwork) lines.push('copy-network: true');
  return `${lines.join('\n')}\n`;
}

function installerRuns(inputs: LiveConfigInputs): boolean {
  return (
    inputs.destConfigs.length > 0 ||
    inputs.destDevice !== undefined ||
    inputs.destKargAppend.length > 0 ||
    inputs.destKargDelete.length > 0 ||
    (inputs.destConsole?.length ?? 0) > 0
  );
}

/**
 * The live Ignition config for these inputs, or undefined when there is nothing to put in one. See the top of
 * this file for what each input becomes.
 */
export function buildLiveIgnition(inputs: LiveConfigInputs): Buffer | undefined {
  for (const c of [...inputs.liveConfigs, ...inputs.destConfigs]) checkIgnitionConfig(c.data, c.name);

  const files: IgnitionFile[] = [];
  const addFile = (path: string, data: Buffer): void => {
    if (files.some((f) => f.path === path)) {
      throw new Day0Error(`two inputs would both be written to ${path}`, { fix: 'give each input a distinct name' });
    }
    files.push({ path, mode: 0o600, contents: dataResource(data) });
  };

  const runsInstaller = installerRuns(inputs);
  if (runsInstaller) {
    let ignitionFile: string | undefined;
    if (inputs.destConfigs.length > 0) {
      // One user config and no CA to add: embed it as is, without another level of wrapping.
      const [only] = inputs.destConfigs;
      const dest =
        inputs.destConfigs.length === 1 && inputs.cas.length === 0 && only
          ? only.data
          : wrapperConfig(inputs.destConfigs, inputs.cas, []);
      addFile(DEST_IGNITION_PATH, dest);
      ignitionFile = DEST_IGNITION_PATH;
    }
    const yaml = installerConfigYaml({
      ...(inputs.destDevice ? { destDevice: inputs.destDevice } : {}),
      ...(ignitionFile ? { ignitionFile } : {}),
      appendKarg: inputs.destKargAppend,
      deleteKarg: inputs.destKargDelete,
      console: inputs.destConsole ?? [],
      copyNetwork: inputs.keyfiles.length > 0,
    });
    addFile(INSTALLER_CONFIG_PATH, Buffer.from(yaml));
  }

  if (files.length === 0 && inputs.cas.length === 0) {
    if (inputs.liveConfigs.length === 0) return undefined;
    if (inputs.liveConfigs.length === 1) return inputs.liveConfigs[0]!.data;
  }
  return wrapperConfig(inputs.liveConfigs, inputs.cas, files);
}

/** The NetworkManager keyfiles as initrd members under etc/coreos-firstboot-network/ (mode 0600). */
export function networkKeyfileFiles(keyfiles: readonly NamedData[]): InitrdFile[] {
  const files: InitrdFile[] = [];
  for (const k of keyfiles) {
    const name = basename(k.name);
    if (!name || name === '.' || name === '..') {
      throw new Day0Error(`invalid NetworkManager keyfile name: ${k.name}`, { fix: 'pass a path to a keyfile' });
    }
    const path = `${INITRD_NETWORK_DIR}/${name}`;
    if (files.some((f) => f.path === path)) {
      throw new Day0Error(`two keyfiles are named ${name}; both would be written to ${path}`, { fix: 'give each keyfile a distinct name' });
    }
    files.push({ path, data: k.data, mode: 0o600 });
  }
  return files;
}

/**
 * Every member of the live initrd for these inputs: config.ign (when there is a live config) and the keyfiles.
 * Empty when there is nothing to customize.
 */
export function buildLiveInitrdFiles(inputs: LiveConfigInputs): InitrdFile[] {
  const config = buildLiveIgnition(inputs);
  return [
    ...(config ? [{ path: INITRD_IGNITION_PATH, data: config, mode: 0o600 }] : []),
    ...networkKeyfileFiles(inputs.keyfiles),
  ];
}

/** The installer config-file directives the generated YAML uses (for features.json's directive list). */
export function installerDirectives(inputs: LiveConfigInputs): string[] {
  if (!installerRuns(inputs)) return [];
  const d: string[] = [];
  if (inputs.destDevice) d.push('dest-device');
  if (inputs.destConfigs.length > 0) d.push('ignition-file');
  if (inputs.destKargAppend.length > 0) d.push('append-karg');
  if (inputs.destKargDelete.length > 0) d.push('delete-karg');
  if (inputs.destConsole?.length) d.push('console');
  if (inputs.keyfiles.length > 0) d.push('copy-network');
  return d;
}

function nothingToDo(extra: string): Day0Error {
  return new Day0Error('nothing to customize', {
    fix: `pass at least one of --live-ignition, --dest-ignition, --dest-device, --dest-karg-append, --dest-karg-delete, --network-keyfile, --ignition-ca${extra}`,
  });
}

// --- iso customize ---

/**
 * Customize a live ISO: the Ignition area gets the generated live config (or zeros when none), and the
 * kernel-argument areas get the default arguments edited by --live-karg-*. An already customized ISO (config
 * present or kernel arguments changed) is refused unless `force`; then the customization replaces the old one.
 */
export async function isoCustomize(isoPath: string, opts: IsoCustomizeOptions): Promise<CustomizeResult> {
  const inputs = await readCustomizeInputs(opts);
  const members = buildLiveInitrdFiles(inputs);
  const edit: KargsEdit = {
    append: opts.liveKargAppend ?? [],
    delete: opts.liveKargDelete ?? [],
    replace: opts.liveKargReplace ?? [],
  };
  if (members.length === 0 && isEmptyEdit(edit)) throw nothingToDo(', --live-karg-append, --live-karg-delete, --live-karg-replace');
  // What the image supports, as coreos-installer decides it: coreos/features.json (absent = nothing).
  checkFeatures(await readIsoFeatures(isoPath), { directives: installerDirectives(inputs), network: inputs.keyfiles.length > 0 });
  const initrd = members.length > 0 ? await packInitrd(members, { compression: opts.compression ?? 'xz' }) : undefined;

  const result: CustomizeResult = { installerRuns: installerRuns(inputs), ...(opts.destDevice ? { destDevice: opts.destDevice } : {}) };
  if (opts.output !== undefined) await refuseExistingOutput(opts.output, opts.force === true);
  await patchIso(isoPath, { ...opts, overwrite: opts.force === true }, (info) => {
    if (!opts.force && isCustomized(info)) {
      throw new Day0Error(`${isoPath} is already customized (embedded Ignition config or modified kernel arguments)`, {
        fix: 'pass -f/--force to replace the customization, or start from the original ISO',
      });
    }
    const patches: Patch[] = [ignitionPatch(info, initrd)];
    if (!isEmptyEdit(edit)) {
      if (!info.kargs) {
        throw new Day0Error('this ISO has no kernel-argument embed areas, so --live-karg-* cannot be applied', {
          fix: 'drop the --live-karg-* options, or rebuild the ISO with `day0 build iso`',
        });
      }
      result.liveKargs = applyKargsEdit(info.kargs.default, edit);
      patches.push(...kargsPatches(info, result.liveKargs));
    } else if (info.kargs && info.kargs.current !== info.kargs.default) {
      patches.push(...kargsPatches(info, info.kargs.default)); // forced: start again from the stock arguments
    }
    return patches;
  });
  return result;
}

// --- pxe customize ---

async function checkInitramfs(path: string): Promise<void> {
  const head = Buffer.alloc(6);
  let bytesRead: number;
  try {
    const fh = await open(path, 'r');
    try {
      ({ bytesRead } = await fh.read(head, 0, head.length, 0));
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw inputError(path, 'initramfs', err);
  }
  const start = head.subarray(0, bytesRead);
  if (!isCpioAt(start) && detectCompression(start) === 'plain') {
    throw new Day0Error(`${path} is not an initramfs (neither a cpio archive nor gzip/xz/zstd data)`, {
      fix: 'pass the live initramfs (images/pxeboot/initrd.img of the live ISO, or the PXE initramfs)',
    });
  }
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * Customize a PXE initramfs: the output is the input followed by zero padding to a 4-byte boundary and the live
 * config as a further compressed cpio archive (the kernel unpacks concatenated archives in order).
 */
export async function pxeCustomize(initramfs: string, opts: PxeCustomizeOptions): Promise<CustomizeResult> {
  if (opts.output !== '-') await refuseExistingOutput(opts.output, opts.force === true);
  const inputs = await readCustomizeInputs(opts);
  const members = buildLiveInitrdFiles(inputs);
  if (members.length === 0) throw nothingToDo('');
  await checkInitramfs(initramfs);
  const initrd = await packInitrd(members, { compression: opts.compression ?? 'xz' });
  const result: CustomizeResult = { installerRuns: installerRuns(inputs), ...(opts.destDevice ? { destDevice: opts.destDevice } : {}) };

  if (opts.output === '-') {
    if (process.stdout.isTTY) {
      throw new Day0Error('refusing to write an initramfs to a terminal', { fix: 'pass -o FILE or redirect stdout' });
    }
    const { size } = await stat(initramfs);
    await pipeline(createReadStream(initramfs), process.stdout, { end: false });
    await new Promise<void>((res, rej) =>
      process.stdout.write(Buffer.concat([Buffer.alloc(pad4(size)), initrd]), (err) => (err ? rej(err) : res())),
    );
    return result;
  }

  await writeOutputAtomically(opts.output, 0o600, async (fh, tmpPath) => {
    await copyFile(initramfs, tmpPath, fsConstants.COPYFILE_FICLONE);
    await fh.chmod(0o600);
    const { size } = await fh.stat();
    await writePatches(fh, [{ offset: size, data: Buffer.concat([Buffer.alloc(pad4(size)), initrd]) }]);
  }, { overwrite: opts.force === true });
  return result;
}
