// Install boot checks (kola's iso-install / metal4k install): boot the install ISO with a blank target disk
// attached, let the image's installer run, then boot the target disk alone and pass only when the destination
// config's marker appears there. The live config's own marker must have appeared during the install boot.
//
// The check's private ISO copy carries, in its live config (never in the shipped ISO):
// - the destination config with the check's unit merged in (/etc/coreos/dest.ign, or a config of the check's own
//   when the ISO has none, named by an extra installer config file),
// - /etc/coreos/installer.d/0002-day0-check.yaml: the TCG kernel arguments for the installed system (append-karg),
//   read after the ISO's own 0001-day0.yaml as coreos-installer reads installer.d (in order, lists appended),
// - the live marker merged into the live config itself.
import { open, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fileHandleSource, Iso9660 } from '../formats/iso9660.js';
import { dataResource, DEST_IGNITION_PATH, INSTALLER_CONFIG_PATH } from '../live/customize.js';
import { showIgnition } from '../live/iso-embed.js';
import { INSTALL_MANIFEST_PATH, type InstallManifest } from '../build/install.js';
import { Day0Error } from '../util/errors.js';

/** What makes an ISO an install ISO: its live config writes an installer config naming a destination. */
export interface InstallIsoInfo {
  destDevice: string;
  /** The install images the ISO carries (images/install/install.json). */
  images: InstallManifest['images'];
}

/** images/install/install.json under its ISO 9660 level-1 name (the reader reads primary names, as for features.json). */
const INSTALL_MANIFEST_LEVEL1 = 'IMAGES/INSTALL/INSTALL.JSO';
export const CHECK_INSTALLER_CONFIG_PATH = '/etc/coreos/installer.d/0002-day0-check.yaml';
export const CHECK_DEST_IGNITION_PATH = '/etc/coreos/day0-check-dest.ign';
/** The line coreos-installer (and the demo OS's) prints when the disk is written. */
export const INSTALL_COMPLETE = 'Install complete.';

interface IgnFile { path: string; mode?: number; contents?: { source?: string; compression?: string }; overwrite?: boolean }
interface LiveConfig { ignition: Record<string, unknown>; storage?: { files?: IgnFile[] }; [k: string]: unknown }

/** The bytes of an Ignition file entry's data: URL (base64 or percent-encoded; gzip when it says so). */
export function fileData(f: IgnFile): Buffer {
  const src = f.contents?.source ?? '';
  const m = /^data:([^,]*),(.*)$/s.exec(src);
  if (!m) throw new Day0Error(`the live config's ${f.path} is not inline (data: URL)`, { fix: 'install ISOs made by day0 or coreos-installer iso customize carry it inline' });
  const raw = m[1]!.endsWith(';base64') ? Buffer.from(m[2]!, 'base64') : Buffer.from(decodeURIComponent(m[2]!), 'latin1');
  return f.contents?.compression === 'gzip' ? gunzipSync(raw) : raw;
}

const inline = (path: string, data: Buffer): IgnFile => ({ path, mode: 0o600, overwrite: true, contents: dataResource(data) });

/** dest-device from an installer config-file YAML that day0 or coreos-installer wrote. */
export function yamlDestDevice(yaml: string): string | undefined {
  const m = /^dest-device:\s*(.+?)\s*$/m.exec(yaml);
  if (!m) return undefined;
  const v = m[1]!;
  return v.startsWith('"') ? (JSON.parse(v) as string) : v.replace(/^'(.*)'$/, '$1');
}

/** Install ISO facts from the live config and the ISO's directory (undefined: a plain live ISO). */
export async function readInstallIso(iso: string): Promise<InstallIsoInfo | undefined> {
  const cfg = await showIgnition(iso).catch(() => undefined);
  if (!cfg) return undefined;
  let parsed: LiveConfig;
  try {
    parsed = JSON.parse(cfg.toString('utf8')) as LiveConfig;
  } catch {
    return undefined;
  }
  const yamlFile = parsed.storage?.files?.find((f) => f.path.startsWith('/etc/coreos/installer.d/'));
  const destDevice = yamlFile ? yamlDestDevice(fileData(yamlFile).toString('utf8')) : undefined;
  if (!destDevice) return undefined;
  const fh = await open(iso, 'r');
  try {
    const fs = await Iso9660.open(await fileHandleSource(fh));
    const rec = await fs.findFile(INSTALL_MANIFEST_LEVEL1);
    if (!rec) throw new Day0Error(`${iso} installs to ${destDevice} but carries no ${INSTALL_MANIFEST_PATH}`, { fix: 'make install ISOs with day0 build --dest-device, which puts the install images on them' });
    const manifest = JSON.parse((await fs.readFile(rec, 64 * 1024)).toString('utf8')) as InstallManifest;
    return { destDevice, images: manifest.images };
  } finally {
    await fh.close();
  }
}

/**
 * The check's live config for an install ISO: the destination config gets the check (`withDestCheck`), the extra
 * installer config adds `destKargs`, and the whole live config gets `withLiveCheck`. Pure.
 */
export function installCheckConfig(live: Buffer, withDestCheck: (user: Buffer | undefined) => Buffer, withLiveCheck: (cfg: Buffer) => Buffer, destKargs: readonly string[]): Buffer {
  const cfg = JSON.parse(live.toString('utf8')) as LiveConfig;
  const files = cfg.storage?.files ?? [];
  if (!files.some((f) => f.path === INSTALLER_CONFIG_PATH || f.path.startsWith('/etc/coreos/installer.d/'))) {
    throw new Day0Error('the ISO\'s live config has no installer config', { fix: 'make the ISO with --dest-device (day0 build or iso customize)' });
  }
  const dest = files.find((f) => f.path === DEST_IGNITION_PATH);
  const extra: string[] = ['# day0 check-boot: the boot check\'s additions (private copy of the ISO)'];
  if (dest) {
    Object.assign(dest, inline(dest.path, withDestCheck(fileData(dest))));
  } else {
    files.push(inline(CHECK_DEST_IGNITION_PATH, withDestCheck(undefined)));
    extra.push(`ignition-file: ${JSON.stringify(CHECK_DEST_IGNITION_PATH)}`);
  }
  if (destKargs.length) extra.push('append-karg:', ...destKargs.map((k) => `  - ${JSON.stringify(k)}`));
  files.push(inline(CHECK_INSTALLER_CONFIG_PATH, Buffer.from(`${extra.join('\n')}\n`)));
  cfg.storage = { ...(cfg.storage ?? {}), files };
  return withLiveCheck(Buffer.from(JSON.stringify(cfg)));
}

/** A sparse blank disk of `bytes` (rounded up to whole MiB). */
export async function blankDisk(path: string, bytes: number): Promise<void> {
  await writeFile(path, '', { mode: 0o600 });
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(Math.ceil(bytes / 2 ** 20) * 2 ** 20);
  } finally {
    await fh.close();
  }
}

/** The disk size a raw image makes (its GPT's alternate header is the last sector), read from the start of a gzip file. */
export async function gzImageBytes(path: string): Promise<number> {
  const { createReadStream } = await import('node:fs');
  const { createGunzip } = await import('node:zlib');
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const src = createReadStream(path);
    const gz = createGunzip();
    gz.on('data', (b: Buffer) => {
      chunks.push(b);
      n += b.length;
      if (n >= 2 * 4096) { src.destroy(); gz.destroy(); resolve(Buffer.concat(chunks)); }
    });
    gz.on('error', (e) => (n >= 2 * 4096 ? undefined : reject(e)));
    gz.on('end', () => resolve(Buffer.concat(chunks)));
    src.on('error', reject);
    src.pipe(gz);
  });
  for (const ss of [512, 4096]) {
    if (head.length >= ss + 92 && head.toString('latin1', ss, ss + 8) === 'EFI PART') return (Number(head.readBigUInt64LE(ss + 32)) + 1) * ss;
  }
  throw new Day0Error(`${path} is not a gzip-compressed GPT disk image`, { fix: 'use the install image day0 build published beside the PXE artifacts' });
}

/** A PXE install's facts from its iPXE script: coreos.inst.* arguments and the files they name, beside the script. */
export interface PxeInstallFacts {
  destDevice: string;
  /** The install image and the destination config, as files beside the PXE artifacts (basenames of the URLs). */
  imageFile: string;
  ignitionFile?: string;
  imageBytes: number;
}

export function coreosInstKargs(kargs: string): { installDev?: string; imageUrl?: string; ignitionUrl?: string } {
  const get = (k: string) => kargs.split(/\s+/).find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1);
  const installDev = get('coreos.inst.install_dev');
  const imageUrl = get('coreos.inst.image_url');
  const ignitionUrl = get('coreos.inst.ignition_url');
  return { ...(installDev ? { installDev } : {}), ...(imageUrl ? { imageUrl } : {}), ...(ignitionUrl && ignitionUrl !== 'skip' ? { ignitionUrl } : {}) };
}

/**
 * A PXE live config for the check: the live marker, and an installer config file with the TCG kernel arguments for
 * the installed system (coreos.inst.* arguments have no key for them). Pure.
 */
export function pxeInstallCheckConfig(live: Buffer | undefined, withLiveCheck: (cfg: Buffer | undefined) => Buffer, destKargs: readonly string[]): Buffer {
  if (!destKargs.length) return withLiveCheck(live);
  const cfg = live ? JSON.parse(live.toString('utf8')) as LiveConfig : { ignition: { version: '3.3.0' } } as LiveConfig;
  const files = cfg.storage?.files ?? [];
  const extra = ['# day0 check-boot: the boot check\'s additions', 'append-karg:', ...destKargs.map((k) => `  - ${JSON.stringify(k)}`)];
  files.push(inline(CHECK_INSTALLER_CONFIG_PATH, Buffer.from(`${extra.join('\n')}\n`)));
  cfg.storage = { ...(cfg.storage ?? {}), files };
  return withLiveCheck(Buffer.from(JSON.stringify(cfg)));
}
