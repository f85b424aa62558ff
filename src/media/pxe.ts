// PXE artifacts the way CoreOS ships them: kernel, the image's own initramfs, rootfs.img (an uncompressed newc
// cpio whose first member is root.squashfs or root.erofs) and the Ignition initrd, plus boot configs.
import { createReadStream, createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { writeCpioStream } from '../formats/cpio.js';
import type { Profile } from '../profiles/schema.js';
import { parmfile } from '../s390x/cdboot.js';
import { writeViaTemp } from '../util/atomic.js';
import type { RootImage } from './rootfs.js';

export interface PxeNames {
  kernel: string;
  initramfs: string;
  rootfs: string;
  ignition: string;
  ipxe: string;
  pxelinux: string;
  grub: string;
  parmfile: string;
}

export function pxeNames(name: string, arch: string): PxeNames {
  return {
    kernel: `${name}-live-kernel.${arch}`,
    initramfs: `${name}-live-initramfs.${arch}.img`,
    rootfs: `${name}-live-rootfs.${arch}.img`,
    ignition: `${name}-live-ignition.${arch}.img`,
    ipxe: `${name}-live.${arch}.ipxe`,
    pxelinux: `${name}-live-pxelinux.${arch}.cfg`,
    grub: `${name}-live-grub.${arch}.cfg`,
    parmfile: `${name}-live.${arch}.prm`,
  };
}

/** Stream root.<fmt> into an uncompressed newc cpio (the rootfs.img format), via a temp name. */
export async function writeRootfsCpio(root: RootImage, out: string): Promise<void> {
  await writeViaTemp(out, async (tmp) => {
    const pass = new PassThrough({ highWaterMark: 1 << 20 });
    const sink = pipeline(pass, createWriteStream(tmp));
    await writeCpioStream(
      [{ type: 'file', path: `root.${root.format}`, mode: 0o644, size: root.size, source: () => createReadStream(root.path, { highWaterMark: 1 << 20 }) }],
      pass,
    );
    await sink;
  });
}

export interface PxeConfigInput {
  profile: Profile;
  names: PxeNames;
  kargs: string;
  /** Base URL the artifacts are served from ('' = relative to the script). */
  baseUrl?: string;
  withIgnition: boolean;
}

/** iPXE script: `initrd=` names each initrd, so both BIOS and UEFI iPXE hand all of them to the kernel. */
export function ipxeScript(c: PxeConfigInput): string {
  const u = (f: string) => `${c.baseUrl ?? ''}${f}`;
  const initrds = [c.names.initramfs, c.names.rootfs, ...(c.withIgnition ? [c.names.ignition] : [])];
  return [
    '#!ipxe',
    `kernel ${u(c.names.kernel)} ${initrds.map((i) => `initrd=${basename(i)}`).join(' ')} ${c.kargs}`,
    ...initrds.map((i) => `initrd --name ${basename(i)} ${u(i)}`),
    'boot',
    '',
  ].join('\n');
}

export function pxelinuxCfg(c: PxeConfigInput): string {
  const initrds = [c.names.initramfs, c.names.rootfs, ...(c.withIgnition ? [c.names.ignition] : [])];
  return ['DEFAULT live', 'LABEL live', `  KERNEL ${c.names.kernel}`, `  APPEND initrd=${initrds.join(',')} ${c.kargs}`, ''].join('\n');
}

export function grubNetCfg(c: PxeConfigInput): string {
  const initrds = [c.names.initramfs, c.names.rootfs, ...(c.withIgnition ? [c.names.ignition] : [])];
  // Paths from the server root ($root is the network device GRUB booted from, or one set before this entry).
  return [`menuentry 'Live ${c.profile.arch} (PXE)' {`, `  linux /${c.names.kernel} ${c.kargs}`, `  initrd ${initrds.map((i) => `/${i}`).join(' ')}`, '}', ''].join('\n');
}

export type PxeConfigKind = Profile['live']['pxe_configs'][number];

// The IBM Z parmfile holds the kernel arguments alone: z/VM punches the kernel, it and one initrd (the initramfs
// and rootfs.img concatenated, plus the Ignition initrd when there is one); an LPAR loads the same.
const RENDER: Record<PxeConfigKind, (c: PxeConfigInput) => string> = { ipxe: ipxeScript, pxelinux: pxelinuxCfg, grub: grubNetCfg, parmfile: (c) => parmfile(c.kargs) };

/** The boot configs the profile publishes beside the PXE artifacts (`live.pxe_configs`), as [kind, file, text]. */
export const pxeConfigFiles = (c: PxeConfigInput): [PxeConfigKind, string, string][] =>
  c.profile.live.pxe_configs.map((k) => [k, c.names[k], RENDER[k](c)]);

