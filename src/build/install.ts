// Install media: a live ISO that puts the layered OS on a machine's disk, as CoreOS's does.
//
// - The install image: the layered OS's metal disk image(s), built config-free from the same image (a baked config
//   would make coreos-installer's --ignition-file fail: "…/ignition/config.ign: File exists"), with kernel
//   arguments in the BLS entry, gzip-compressed (coreos-installer reads gzip). The ISO carries them at
//   images/install/metal.raw.gz (512-byte sectors) and images/install/metal4k.raw.gz (4096, where a boot mode
//   boots such disks): the image's installer picks the one that matches the target disk (offline install, like
//   coreos-installer's from a live ISO).
// - The installer config, when asked (--dest-device, --dest-ignition, --dest-karg-append/-delete, --dest-console):
//   the same live config `iso customize --dest-*` writes (src/live/customize.ts): /etc/coreos/installer.d/
//   0001-day0.yaml and the destination config at /etc/coreos/dest.ign, written by the live Ignition config, merged
//   with the user's -i config. Without --dest-device the ISO stays a live ISO that installs by hand.
// - The image must carry an installer that honours coreos-installer's contract: day0 reads that the way
//   coreos-installer does (usr/share/coreos-installer/example-config.yaml lists the config keys it knows) and
//   refuses, before building anything, an image that has none or lacks a key the options need.
// Configs are secrets: never logged; build.json records where each goes, not what it says.
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Context } from '../cli/context.js';
import { buildDiskImages, type DiskFormat } from '../disk/build.js';
import type { BootableImage } from '../image/types.js';
import { featuresFromRootfs } from '../live/features.js';
import { buildLiveIgnition, DEST_IGNITION_PATH, INSTALLER_CONFIG_PATH, installerDirectives, type LiveConfigInputs } from '../live/customize.js';
import { supportedDiskFormats } from '../manifest/disk.js';
import type { Profile } from '../profiles/schema.js';
import { Day0Error } from '../util/errors.js';
import type { Progress } from './progress.js';

/** Where the ISO carries the install images, per sector size. */
export const INSTALL_IMAGE_PATHS: Record<512 | 4096, string> = { 512: 'images/install/metal.raw.gz', 4096: 'images/install/metal4k.raw.gz' };
/** Beside them: what they are (image digest; per image its sector size, raw size and SHA-256, compressed size). */
export const INSTALL_MANIFEST_PATH = 'images/install/install.json';

export interface InstallManifest {
  image: { digest: string };
  images: { path: string; sectorSize: 512 | 4096; bytes: number; sha256: string; compressedBytes: number; compression: 'gzip' }[];
}

export function installManifest(imageDigest: string, images: InstallImage[]): InstallManifest {
  return {
    image: { digest: imageDigest },
    images: images.map((x) => ({ path: x.isoPath, sectorSize: x.sectorSize, bytes: x.bytes, sha256: x.sha256, compressedBytes: x.compressedBytes, compression: 'gzip' as const })),
  };
}

export interface InstallOptions {
  destDevice?: string;
  /** The destination config, already read and validated (a secret). */
  destIgnition?: Buffer;
  destKargAppend: string[];
  destKargDelete: string[];
  destConsole: string[];
  /** Carry the install image even without --dest-device (an ISO that installs by hand, offline). */
  image: boolean;
  /**
   * PXE install: where the PXE artifacts will be served (http(s) URL of their directory). The PXE configs then
   * carry coreos.inst.install_dev=, coreos.inst.image_url= and coreos.inst.ignition_url= pointing there.
   */
  pxeUrl?: string;
}

/** The PXE install artifacts' names (beside the other PXE artifacts). */
export const pxeInstallNames = (name: string, arch: string) => ({
  image: `${name}-install-metal.${arch}.raw.gz`,
  ignition: `${name}-install.${arch}.ign`,
});

/** coreos.inst.* kernel arguments for a PXE install (coreos-installer's names). */
export function pxeInstallKargs(i: InstallOptions, names: { image: string; ignition: string }): string[] {
  const base = i.pxeUrl!.replace(/\/*$/, '/');
  return [
    `coreos.inst.install_dev=${i.destDevice!}`,
    `coreos.inst.image_url=${base}${names.image}`,
    ...(i.destIgnition ? [`coreos.inst.ignition_url=${base}${names.ignition}`] : []),
    // day0 does not sign images: coreos-installer verifies a signature unless told not to.
    'coreos.inst.insecure',
  ];
}

/**
 * The PXE live config of a PXE install: coreos.inst.* arguments carry no kernel-argument or console settings, so
 * those go in an installer config file (no dest-device: the argument names it), merged with the -i config.
 */
export function pxeInstallLiveConfig(live: Buffer | undefined, i: InstallOptions): Buffer | undefined {
  if (!i.destKargAppend.length && !i.destKargDelete.length && !i.destConsole.length) return live;
  return buildLiveIgnition({ ...installLiveInputs(live, i), destConfigs: [] as LiveConfigInputs['destConfigs'], destDevice: undefined } as LiveConfigInputs);
}

export const installRequested = (i: InstallOptions | undefined): i is InstallOptions =>
  Boolean(i && (i.image || i.destDevice || i.destIgnition || i.destKargAppend.length || i.destKargDelete.length || i.destConsole.length));

/** Checks that need no image: the ISO is built, the options make sense. */
export function checkInstallOptions(formats: readonly string[], i: InstallOptions): void {
  if (!formats.includes('iso') && !(i.pxeUrl && formats.includes('pxe'))) {
    throw new Day0Error('--dest-* and --install-image make install ISOs (or, with --pxe-url, PXE media that install), and neither is built', { fix: 'add iso to --format (e.g. -f iso,pxe), or pxe with --pxe-url' });
  }
  if (i.destDevice !== undefined && !/^\/dev\/[A-Za-z0-9._\-/:]+$/.test(i.destDevice)) {
    throw new Day0Error(`--dest-device ${JSON.stringify(i.destDevice)} is not a device path`, { fix: 'give the target disk as the installed machine sees it, e.g. /dev/vda or /dev/disk/by-id/…' });
  }
  if (!i.destDevice && (i.destIgnition || i.destKargAppend.length || i.destKargDelete.length || i.destConsole.length)) {
    throw new Day0Error('--dest-ignition, --dest-karg-* and --dest-console configure an automatic install, which needs --dest-device', {
      fix: 'add --dest-device DISK (the ISO then installs there without asking), or use --install-image for an ISO that installs by hand',
    });
  }
  for (const k of [...i.destKargAppend, ...i.destKargDelete]) {
    if (!k || /\s/.test(k)) throw new Day0Error(`kernel argument ${JSON.stringify(k)} is empty or contains whitespace`, { fix: 'pass one kernel argument per --dest-karg-append/--dest-karg-delete' });
  }
  if (i.pxeUrl !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(i.pxeUrl)) throw new Day0Error(`--pxe-url ${JSON.stringify(i.pxeUrl)} is not an http(s) URL`, { fix: 'give the URL of the directory the PXE artifacts will be served from, e.g. http://10.0.0.1/day0/x86_64/' });
    if (!formats.includes('pxe') || !i.destDevice) throw new Day0Error('--pxe-url makes PXE media that install, which needs -f pxe and --dest-device', { fix: 'add pxe to --format and give --dest-device' });
  }
  for (const c of i.destConsole) {
    if (!/^[A-Za-z][A-Za-z0-9]*[0-9](,[0-9]+([noe][5-8])?)?$/.test(c)) throw new Day0Error(`--dest-console ${JSON.stringify(c)} is not a console spec`, { fix: 'give a kernel console, e.g. ttyS0,115200n8 or tty0' });
  }
}

/** The live config inputs for an install ISO (the user's -i config stays the live system's own). */
export function installLiveInputs(live: Buffer | undefined, i: InstallOptions): LiveConfigInputs {
  return {
    liveConfigs: live ? [{ name: 'the -i config', data: live }] : [],
    destConfigs: i.destIgnition ? [{ name: 'the --dest-ignition config', data: i.destIgnition }] : [],
    ...(i.destDevice ? { destDevice: i.destDevice } : {}),
    destKargAppend: i.destKargAppend,
    destKargDelete: i.destKargDelete,
    ...(i.destConsole.length ? { destConsole: i.destConsole } : {}),
    keyfiles: [],
    cas: [],
  };
}

/** The ISO's live config: the user's -i config plus the installer config (undefined: nothing to embed). */
export function installLiveConfig(live: Buffer | undefined, i: InstallOptions): Buffer | undefined {
  return i.destDevice ? buildLiveIgnition(installLiveInputs(live, i)) : live;
}

/** Refuse an image without an installer, or whose installer lacks a config key the options need. */
export async function checkImageInstaller(img: BootableImage, ref: string, i: InstallOptions): Promise<void> {
  const f = await featuresFromRootfs(img.rootfs);
  if (!f.installerConfig) {
    throw new Day0Error(`${ref} has no installer: it carries no usr/share/coreos-installer/example-config.yaml (coreos-installer's list of the config keys it reads)`, {
      fix: 'build FROM an image with coreos-installer (CoreOS images have it), or drop --dest-* / --install-image',
    });
  }
  const missing = installerDirectives(installLiveInputs(undefined, i)).filter((d) => !f.installerConfigDirectives.includes(d));
  if (missing.length) {
    throw new Day0Error(`the installer in ${ref} does not read the config key(s) ${missing.join(', ')}`, { fix: 'drop the options that need them, or update the image\'s coreos-installer' });
  }
}

/** The sector sizes a platform's install images come in: 512 always, 4096 where a boot mode boots such disks. */
export function installSectorSizes(p: Profile): (512 | 4096)[] {
  return supportedDiskFormats(p).includes('metal4k') ? [512, 4096] : [512];
}

export interface InstallImage {
  /** Path inside the ISO. */
  isoPath: string;
  /** The compressed file, staged. */
  file: string;
  sectorSize: 512 | 4096;
  /** The raw image: virtual size and SHA-256 (what lands on the disk). */
  bytes: number;
  sha256: string;
  compressedBytes: number;
}

/** Build the config-free metal image(s) and gzip them, in `dir` (staging). Streams: no image is held in memory. */
export async function buildInstallImages(ctx: Context, img: BootableImage, o: { name: string; diskSizeMib?: number; kargAppend: string[]; rootFs: 'xfs' | 'ext4'; tlsVerify: boolean; engine: 'day0' | 'osbuild'; only512?: boolean }, dir: string, progress: Progress): Promise<InstallImage[]> {
  const sizes = o.only512 ? [512] : installSectorSizes(ctx.profile);
  const formats: DiskFormat[] = sizes.map((s) => (s === 4096 ? 'metal4k' : 'metal'));
  const made = await progress.step(`install image${formats.length > 1 ? 's' : ''} (${formats.join(', ')}, no config)`, () => buildDiskImages(ctx, img, {
    formats, name: `${o.name}-install`, diskSizeMib: o.diskSizeMib, kargAppend: o.kargAppend, rootFs: o.rootFs,
    outDir: dir, engine: o.engine, tlsVerify: o.tlsVerify, checksums: true, progress: (m: string) => progress.info(`  ${m}`),
  }));
  const out: InstallImage[] = [];
  for (const d of made) {
    const file = `${d.path}.gz`;
    await progress.step(`gzip ${d.format} install image`, async () => {
      await pipeline(createReadStream(d.path, { highWaterMark: 4 << 20 }), createGzip({ level: 1 }), createWriteStream(file, { mode: 0o644 }));
    });
    const compressedBytes = (await stat(file)).size;
    await rm(d.path, { force: true });
    out.push({ isoPath: INSTALL_IMAGE_PATHS[d.sectorSize as 512 | 4096], file, sectorSize: d.sectorSize as 512 | 4096, bytes: d.bytes, sha256: d.sha256, compressedBytes });
  }
  return out;
}

/** What build.json says about an install ISO: the target, the image it installs, where each config goes. */
export function installRecord(imageDigest: string, images: InstallImage[], i: InstallOptions, live: boolean): Record<string, unknown> {
  return {
    destDevice: i.destDevice ?? null,
    automatic: Boolean(i.destDevice),
    ...installManifest(imageDigest, images),
    configs: {
      live: live ? 'the -i config: the live system (ISO embed area)' : null,
      installer: i.destDevice ? `${INSTALLER_CONFIG_PATH} in the live system (written by the live config)` : null,
      dest: i.destIgnition ? `${DEST_IGNITION_PATH} in the live system; the installer writes it to ignition/config.ign on the target's boot partition` : null,
    },
    destKargAppend: i.destKargAppend,
    destKargDelete: i.destKargDelete,
    destConsole: i.destConsole,
  };
}
