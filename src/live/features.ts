// coreos/features.json: what a live image supports, as coreos-installer reads it (`OsFeatures` in its
// src/live/customize.rs) and as CoreOS's build (cosa / osbuild's coreos live-artifacts stage) writes it:
//
//   {
//     "installer-config": true,                    // the installer reads /etc/coreos/installer.d/*.yaml
//     "installer-config-directives": {             // which keys those files may use (coreos-installer's
//       "append-karg": true, …                     //   example-config.yaml keys), each → true
//     },
//     "live-initrd-network": true                  // the live initramfs reads NM keyfiles from
//   }                                              //   /etc/coreos-firstboot-network
//
// Written as json.dumps(…, indent=2, sort_keys=True) + "\n", like upstream. A missing file, or a key that is
// absent or false, means "not supported": coreos-installer then refuses `iso customize --dest-*` ("This OS image
// does not support customizing installer configuration.") and `--network-keyfile` / `iso network embed` ("This
// OS image does not support customizing network settings."). day0's own `iso customize` does the same.

import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Day0Error } from '../util/errors.js';
import { FEATURES_PATH } from '../formats/embed-areas.js';
import { fileHandleSource, Iso9660 } from '../formats/iso9660.js';

/** The path in the ISO (level-1 name); coreos/features.json under Rock Ridge / Joliet. */
export const ISO_FEATURES_PATH = FEATURES_PATH;
/** The same document inside the live initramfs. */
export const INITRD_FEATURES_PATH = 'etc/coreos/features.json';

export interface FeaturesInput {
  installerConfig: boolean;
  /** Installer config-file keys the image's coreos-installer understands (e.g. "dest-device", "copy-network"). */
  installerConfigDirectives: string[];
  liveInitrdNetwork: boolean;
}

/** The bytes of coreos/features.json for these features (keys sorted, 2-space indent, trailing newline). */
export function featuresJson(f: FeaturesInput): string {
  const directives: Record<string, true> = {};
  for (const d of [...new Set(f.installerConfigDirectives)].sort()) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(d)) {
      throw new Day0Error(`invalid installer config directive name "${d}"`, {
        fix: 'directive names are coreos-installer config-file keys, such as dest-device or append-karg',
      });
    }
    directives[d] = true;
  }
  const doc = {
    'installer-config': f.installerConfig,
    'installer-config-directives': directives,
    'live-initrd-network': f.liveInitrdNetwork,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const FeaturesSchema = z.looseObject({
  'installer-config': z.boolean().optional(),
  'installer-config-directives': z.record(z.string(), z.boolean()).optional(),
  'live-initrd-network': z.boolean().optional(),
});

/** What an ISO supports; every flag false when coreos/features.json is absent (coreos-installer's default). */
export interface IsoFeatures {
  /** coreos/features.json was present. */
  present: boolean;
  installerConfig: boolean;
  /** Directives listed as true; undefined when the file does not list any (older images: all are accepted). */
  installerConfigDirectives?: string[];
  liveInitrdNetwork: boolean;
}

export const NO_FEATURES: IsoFeatures = { present: false, installerConfig: false, liveInitrdNetwork: false };

/** Parse features.json text (as in the ISO or the initramfs). */
export function parseFeaturesJson(text: Buffer | string, where = 'coreos/features.json'): IsoFeatures {
  let value: unknown;
  try {
    value = JSON.parse(text.toString());
  } catch {
    throw new Day0Error(`${where} in the image is not valid JSON`, {
      fix: 'the image is damaged or was not built as a CoreOS-style live image; rebuild it',
    });
  }
  const r = FeaturesSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Day0Error(`${where} in the image is invalid: ${issue?.path.join('.') || 'document'}: ${issue?.message ?? 'invalid'}`, {
      fix: 'the image is damaged or was not built as a CoreOS-style live image; rebuild it',
    });
  }
  const d = r.data['installer-config-directives'];
  return {
    present: true,
    installerConfig: r.data['installer-config'] === true,
    ...(d ? { installerConfigDirectives: Object.keys(d).filter((k) => d[k] === true).sort() } : {}),
    liveInitrdNetwork: r.data['live-initrd-network'] === true,
  };
}

/** The features an ISO image declares (reads its primary directory tree and features.json only). */
export async function readIsoFeatures(isoPath: string): Promise<IsoFeatures> {
  let fh;
  try {
    fh = await open(isoPath, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Day0Error(`${isoPath}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'cannot open')}`, { fix: 'check the path' });
  }
  try {
    return await readFeaturesOf(await Iso9660.open(await fileHandleSource(fh)));
  } finally {
    await fh.close();
  }
}

/** The features of an opened ISO. */
export async function readFeaturesOf(iso: Iso9660): Promise<IsoFeatures> {
  const file = await iso.findFile(ISO_FEATURES_PATH);
  if (!file) return NO_FEATURES;
  return parseFeaturesJson(await iso.readFile(file, 64 * 1024));
}

export const INSTALLER_CONFIG_UNSUPPORTED = 'This OS image does not support customizing installer configuration.';
export const NETWORK_UNSUPPORTED = 'This OS image does not support customizing network settings.';

/**
 * Refuse what the image does not support, with coreos-installer's messages: installer configuration (`--dest-*`,
 * using `directives`) and network keyfiles. A listed-directives set that lacks one we would write is refused too.
 */
export function checkFeatures(f: IsoFeatures, use: { directives: readonly string[]; network: boolean }): void {
  const fix = (what: string): string =>
    f.present
      ? `this image's coreos/features.json does not declare ${what}; drop the option, or use an image that supports it`
      : `the ISO has no coreos/features.json, so it declares no support for ${what}; drop the option, or rebuild the ISO with a day0 that writes features.json`;
  if (use.directives.length > 0) {
    if (!f.installerConfig) throw new Day0Error(INSTALLER_CONFIG_UNSUPPORTED, { fix: fix('installer configuration (--dest-*)') });
    const listed = f.installerConfigDirectives;
    const missing = listed ? use.directives.filter((d) => !listed.includes(d)) : [];
    if (missing.length > 0) {
      throw new Day0Error(`This OS image does not support the installer config directive${missing.length > 1 ? 's' : ''} ${missing.map((d) => `"${d}"`).join(', ')}.`, {
        fix: fix(`the installer config directive ${missing.join(', ')}`),
      });
    }
  }
  if (use.network && !f.liveInitrdNetwork) throw new Day0Error(NETWORK_UNSUPPORTED, { fix: fix('network settings (--network-keyfile)') });
}

/**
 * Features of an OS image, judged from its unpacked root filesystem, for the ISO build to write:
 * - installer-config(+directives): coreos-installer is installed and ships usr/share/coreos-installer/example-config.yaml
 *   (its top-level keys are the directives, as upstream's build derives them);
 * - live-initrd-network: the initramfs tooling copies keyfiles from /etc/coreos-firstboot-network
 *   (fedora-coreos-config's 35coreos-network dracut module, or any dracut module with coreos-copy-firstboot-network).
 */
export async function featuresFromRootfs(root: string): Promise<FeaturesInput> {
  let example: string | undefined;
  try {
    example = await readFile(join(root, 'usr/share/coreos-installer/example-config.yaml'), 'utf8');
  } catch {
    example = undefined;
  }
  const directives = example ? topLevelYamlKeys(example) : [];
  let network = false;
  try {
    const modules = join(root, 'usr/lib/dracut/modules.d');
    for (const m of await readdir(modules)) {
      const files = await readdir(join(modules, m)).catch(() => [] as string[]);
      if (files.some((f) => f.startsWith('coreos-copy-firstboot-network'))) network = true;
    }
  } catch {
    network = false;
  }
  return { installerConfig: directives.length > 0, installerConfigDirectives: directives, liveInitrdNetwork: network };
}

/** The top-level mapping keys of a simple YAML document ("key: value" at column 0; comments ignored). */
export function topLevelYamlKeys(yaml: string): string[] {
  const keys: string[] = [];
  for (const line of yaml.split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_-]*):(?:\s|$)/.exec(line);
    if (m && !keys.includes(m[1]!)) keys.push(m[1]!);
  }
  return keys;
}
