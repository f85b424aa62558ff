// Live media from a bootable image: PXE artifacts and the hybrid ISO. The root filesystem image and rootfs.img
// are made once and shared by both.
import { constants } from 'node:fs';
import { copyFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packIgnitionInitrd } from '../formats/ignition-initrd.js';
import type { BootableImage } from '../image/types.js';
import { embedIgnition } from '../live/iso-embed.js';
import { buildIso } from '../media/iso.js';
import { planIso } from '../media/iso-plan.js';
import { ISO_PATHS, volumeLabel } from '../media/iso-layout.js';
import { featuresFromRootfs, featuresJson } from '../live/features.js';
import { liveKargs } from '../media/kargs.js';
import { pxeConfigFiles, pxeNames, writeRootfsCpio } from '../media/pxe.js';
import { makeRootImage, type RootfsFormat } from '../media/rootfs.js';
import { writeText } from '../media/stage-files.js';
import type { Context } from '../cli/context.js';
import type { Artifact, OutputDir } from './output.js';
import type { Progress } from './progress.js';

export interface LiveOptions {
  formats: { pxe: boolean; iso: boolean };
  name: string;
  ignition?: Buffer;
  rootfsFormat: RootfsFormat;
  ignitionAreaSize?: number;
  liveKargAppend: string[];
  liveKargDelete: string[];
  /** The ISO's live config when it differs from `ignition` (an install ISO: the -i config plus the installer's). */
  isoIgnition?: Buffer;
  /** Extra files in the ISO, ISO path → staged file (the install images). */
  isoFiles?: Record<string, string>;
  /** Extra text files in the ISO, ISO path → content. */
  isoTexts?: Record<string, string>;
  /** The PXE Ignition initrd's config when it differs from `ignition` (a PXE install's installer settings). */
  pxeIgnition?: Buffer;
  /** Kernel arguments added to the PXE configs (a PXE install's coreos.inst.*). */
  pxeKargs?: string[];
  /** Further PXE artifacts (a PXE install's image and destination config), published beside the others. */
  pxeFiles?: ({ kind: string; name: string; secret: boolean } & ({ file: string } | { data: Buffer }))[];
}

export function isoName(name: string, arch: string): string {
  return `${name}-live.${arch}.iso`;
}

export async function buildLive(ctx: Context, img: BootableImage, o: LiveOptions, out: OutputDir, progress: Progress): Promise<Artifact[]> {
  const { exec, profile: p } = ctx;
  const arch = p.arch;
  const names = pxeNames(o.name, arch);
  const s = (f: string) => join(out.staging, f);
  const artifacts: Artifact[] = [];

  const root = await progress.step(`root filesystem image (${o.rootfsFormat})`, () => makeRootImage(exec, img, o.rootfsFormat),
    (r) => `${(r.size / 2 ** 20).toFixed(0)} MiB${r.cached ? ', cached' : ''}`);
  await progress.step('rootfs.img (cpio)', () => writeRootfsCpio(root, s(names.rootfs)));
  const ignitionImg = o.ignition ? await packIgnitionInitrd(o.ignition, { compression: 'xz' }) : undefined;

  if (o.formats.iso) {
    const isoConfig = o.isoIgnition ?? o.ignition;
    const label = volumeLabel(p.live.iso_volume_prefix, img.image.digest);
    const kargs = liveKargs(p, { isoLabel: label, append: o.liveKargAppend, delete: o.liveKargDelete });
    const iso = s(isoName(o.name, arch));
    await progress.step('live ISO', async () => {
      // coreos/features.json says what this image's live system supports (true only for what it really has).
      const features = featuresJson(await featuresFromRootfs(img.rootfs));
      const sizes = { kernel: (await stat(img.kernel.vmlinuz)).size, initramfs: (await stat(img.kernel.initramfs)).size };
      const plan = planIso({
        profile: p, kernel: img.kernel.vmlinuz, initramfs: img.kernel.initramfs, rootfsCpio: s(names.rootfs), sizes,
        volumeLabel: label, kargs, ignitionAreaSize: o.ignitionAreaSize ?? p.live.ignition_area_size,
        extraFiles: { [ISO_PATHS.features]: features, ...(o.isoTexts ?? {}) }, ...(o.isoFiles ? { hostFiles: o.isoFiles } : {}),
      });
      await buildIso({ exec, plan, workDir: join(out.staging, 'iso-work'), out: iso });
      if (isoConfig) await embedIgnition(iso, isoConfig, {});
    });
    artifacts.push(await out.publish('iso', iso, arch, { secret: Boolean(isoConfig) }));
  }

  if (o.formats.pxe) {
    const kargs = [liveKargs(p, { append: o.liveKargAppend, delete: o.liveKargDelete }), ...(o.pxeKargs ?? [])].join(' ');
    const pxeConfig = o.pxeIgnition ?? o.ignition;
    const pxeIgnitionImg = pxeConfig === o.ignition ? ignitionImg : pxeConfig ? await packIgnitionInitrd(pxeConfig, { compression: 'xz' }) : undefined;
    // Copies (reflinked where the filesystem can), never hard links: a published file must not share an inode
    // with the image cache.
    await copyFile(img.kernel.vmlinuz, s(names.kernel), constants.COPYFILE_FICLONE);
    await copyFile(img.kernel.initramfs, s(names.initramfs), constants.COPYFILE_FICLONE);
    if (pxeIgnitionImg) await writeText(s(names.ignition), pxeIgnitionImg, 0o600);
    const configs = pxeConfigFiles({ profile: p, names, kargs, withIgnition: Boolean(pxeIgnitionImg) });
    for (const [, f, text] of configs) await writeText(s(f), text);
    artifacts.push(await out.publish('pxe-kernel', s(names.kernel), arch));
    artifacts.push(await out.publish('pxe-initramfs', s(names.initramfs), arch));
    artifacts.push(await out.publish('pxe-rootfs', s(names.rootfs), arch));
    if (pxeIgnitionImg) artifacts.push(await out.publish('pxe-ignition', s(names.ignition), arch));
    for (const f of o.pxeFiles ?? []) {
      if ('file' in f) await rename(f.file, s(f.name));
      else await writeText(s(f.name), f.data, 0o600);
      artifacts.push(await out.publish(f.kind, s(f.name), arch, { secret: f.secret }));
    }
    for (const [kind, f] of configs) artifacts.push(await out.publish(`pxe-${kind}`, s(f), arch));
  }
  return artifacts;
}
