// Per cell: a private copy of the medium carrying the user's config plus day0's check, handed over the way the
// medium expects it (embedded area for ISO, Ignition initrd for PXE, boot partition for metal, fw_cfg for qemu).
// Under TCG, the copy also gets the profile's timer-safe kernel arguments (`qemu.tcg_kargs`): in the ISO's kargs
// areas, the PXE kernel command line (direct append, iPXE script, GRUB netboot config) or the disk's BLS entries
// (metal copies, and the qemu cell's overlay). The artifacts themselves are never modified.
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { check, type Bind, type Executor } from '../executor/index.js';
import { packIgnitionInitrd, unpackIgnitionInitrd } from '../formats/ignition-initrd.js';
import { embedIgnition, modifyKargs, readIsoEmbedInfo, showIgnition } from '../live/iso-embed.js';
import type { BootMedium } from '../qemu/args.js';
import { kargsFromParmfile } from '../s390x/cdboot.js';
import { bootMode } from '../profiles/boot.js';
import { grubTerminal, primaryConsole } from '../profiles/console.js';
import type { Netboot, Profile } from '../profiles/schema.js';
import { editKargsFiles, editQcow2BootPartition, rawBootPartition, readKargsFiles, type KargsEdit } from './boot-partition.js';
import type { Cell, PxeSet } from './cells.js';
import { serveFiles } from './http.js';
import { appendKargs, grubCfgWithKargs, ipxeWithKargs, kargsFromIpxe } from './kargs.js';

// A zipl disk's kernel arguments are in its bootmap (written by zipl at build time), not in a file GRUB reads.
const ZIPL_NOTE = 'zipl disks carry their kernel arguments in the bootmap, which the check does not rewrite';

export interface Prepared {
  medium: BootMedium;
  binds: Bind[];
  platformIgnition?: string;
  network?: 'host';
  /** Kernel arguments added to the copy (`PrepareInput.extraKargs`, where the medium has a place for them). */
  kargsAdded: string[];
  /** Why `extraKargs` were not added, when they were asked for and could not be. */
  kargsNote?: string;
  /** Stop helpers (e.g. the HTTP server) after the boot. */
  dispose?: () => Promise<void>;
}

export interface PrepareInput {
  exec: Executor;
  profile: Profile;
  cell: Cell;
  work: string;
  /** The user's config for media that carry none (qemu images; media built without a config). Media that embed
   * a config are always checked with the config read back from them. */
  userConfig?: Buffer;
  /** Build the final config from the user's (possibly undefined). */
  withCheck: (user: Buffer | undefined) => Buffer;
  /** Live kernel arguments for direct PXE boots (read from the iPXE script when there is one). */
  liveKargs: string;
  /** Kernel arguments to add to the copy (the profile's tcg_kargs under TCG; none under KVM). */
  extraKargs?: string[];
}

const secret = async (path: string, data: Buffer) => writeFile(path, data, { mode: 0o600 });

/** `data` followed by NULs up to a whole number of 512-byte sectors. */
export function padToSector(data: Buffer): Buffer {
  const pad = (512 - (data.length % 512)) % 512;
  return pad ? Buffer.concat([data, Buffer.alloc(pad)]) : data;
}

/** Concatenate initrds, each padded to 4 bytes (QEMU's -initrd takes one file). Streams. */
export async function concatInitrds(parts: string[], out: string): Promise<void> {
  const ws = createWriteStream(out, { mode: 0o600 });
  for (const p of parts) {
    await pipeline(createReadStream(p, { highWaterMark: 1 << 20 }), ws, { end: false });
    const pad = (4 - ((await stat(p)).size % 4)) % 4;
    if (pad) ws.write(Buffer.alloc(pad));
  }
  await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Make sure an iPXE script loads `ign` as an initrd (a build without --ignition has none). */
export function ipxeWithIgnition(script: string, ign: string): string {
  if (script.includes(`initrd=${ign}`)) return script;
  return script
    .split('\n')
    .map((l) => (l.startsWith('kernel ') ? l.replace(/^(kernel \S+)/, `$1 initrd=${ign}`) : l === 'boot' ? `initrd --name ${ign} ${ign}\nboot` : l))
    .join('\n');
}

export async function prepareCell(i: PrepareInput): Promise<Prepared> {
  const { cell, work, exec } = i;
  const extra = i.extraKargs ?? [];
  switch (cell.kind) {
    case 'iso': {
      const copy = join(work, basename(cell.artifact));
      await copyFile(cell.artifact, copy, constants.COPYFILE_FICLONE);
      const info = await readIsoEmbedInfo(copy);
      const embedded = info.ignition.empty ? undefined : await showIgnition(copy);
      await embedIgnition(copy, i.withCheck(embedded ?? i.userConfig), { force: true });
      if (!extra.length) return { medium: { kind: 'iso', path: copy }, binds: [], kargsAdded: [] };
      if (!info.kargs) {
        return { medium: { kind: 'iso', path: copy }, binds: [], kargsAdded: [], kargsNote: 'the ISO has no kernel-argument areas (coreos/kargs.json)' };
      }
      await modifyKargs(copy, { append: extra });
      return { medium: { kind: 'iso', path: copy }, binds: [], kargsAdded: [...extra] };
    }
    case 'pxe-direct':
    case 'pxe-net': {
      const pxe = cell.pxe!;
      const user = (pxe.ignition ? await unpackIgnitionInitrd(await readFile(pxe.ignition)) : undefined) ?? i.userConfig;
      const ignName = pxe.ignition ? basename(pxe.ignition) : basename(pxe.kernel).replace(/-live-kernel\.(\w+)$/, '-live-ignition.$1.img');
      const ign = join(work, ignName);
      await secret(ign, await packIgnitionInitrd(i.withCheck(user), { compression: 'xz' }));
      if (cell.kind === 'pxe-direct') {
        const initrd = join(work, 'initrd.img');
        await concatInitrds([pxe.initramfs, pxe.rootfs, ign], initrd);
        // The shipped config's kernel arguments: the iPXE script's, or the IBM Z parmfile's.
        const script = pxe.ipxe ? await readFile(pxe.ipxe, 'utf8') : undefined;
        const prm = pxe.prm ? kargsFromParmfile(await readFile(pxe.prm, 'utf8')) : undefined;
        const append = appendKargs((script && kargsFromIpxe(script)) || prm || i.liveKargs, extra);
        return { medium: { kind: 'kernel', kernel: pxe.kernel, initrd, append }, binds: [{ path: pxe.kernel, readonly: true }], kargsAdded: [...extra] };
      }
      const nb = bootMode(i.profile, cell.firmware).netboot;
      if (nb?.kind === 'grub-tftp') return prepareGrubNetboot(i, pxe, ign, ignName, nb);
      if (!pxe.ipxe) throw new Error('network boot needs the iPXE script beside the PXE artifacts');
      const scriptName = basename(pxe.ipxe);
      const script = join(work, scriptName);
      await writeFile(script, ipxeWithKargs(ipxeWithIgnition(await readFile(pxe.ipxe, 'utf8'), ignName), extra));
      const server = await serveFiles(new Map([
        [scriptName, script], [basename(pxe.kernel), pxe.kernel], [basename(pxe.initramfs), pxe.initramfs],
        [basename(pxe.rootfs), pxe.rootfs], [ignName, ign],
      ]));
      return {
        medium: { kind: 'netboot', bootUrl: `http://10.0.2.2:${server.port}/${scriptName}` },
        binds: [],
        network: 'host',
        kargsAdded: [...extra],
        dispose: () => server.close(),
      };
    }
    case 'metal':
    case 'metal4k': {
      const copy = join(work, basename(cell.artifact));
      const sector = cell.kind === 'metal4k' ? 4096 : 512;
      const baked = bootMode(i.profile, cell.firmware).disk === 'zipl';
      const edits = baked ? [] : extra;
      check(await exec.run({ argv: ['cp', '--sparse=always', '--reflink=auto', cell.artifact, copy], binds: [{ path: cell.artifact, readonly: true }, { path: work }], label: 'copy disk' }), 'copying the disk image');
      const userFile = join(work, 'user.ign');
      const onBoot = await rawBootPartition(exec, copy, work);
      await onBoot([
        'if [ -e "$M/ignition/config.ign" ]; then cp "$M/ignition/config.ign" "$W/user.ign"; chmod 600 "$W/user.ign"; fi',
        ...(edits.length ? readKargsFiles : []),
      ].join('\n'));
      const user = (await readFile(userFile).catch(() => undefined)) ?? i.userConfig;
      await secret(join(work, 'check.ign'), i.withCheck(user));
      const kargs: KargsEdit = edits.length ? await editKargsFiles(work, edits)
        : { install: [], kargsAdded: [], ...(baked && extra.length ? { kargsNote: ZIPL_NOTE } : {}) };
      await onBoot([
        'mkdir -p "$M/ignition" && install -m 0600 "$W/check.ign" "$M/ignition/config.ign" && touch "$M/ignition.firstboot"',
        ...kargs.install,
      ].join('\n'));
      return { medium: { kind: 'disk', path: copy, format: 'raw', sectorSize: sector }, binds: [], kargsAdded: kargs.kargsAdded, ...(kargs.kargsNote ? { kargsNote: kargs.kargsNote } : {}) };
    }
    case 'iso-install':
    case 'metal4k-install':
    case 'pxe-install':
      throw new Error('install cells are prepared by checkInstallCell (src/checkboot/run.ts)');
    case 'qemu': {
      const overlay = join(work, 'overlay.qcow2');
      check(await exec.run({ argv: ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', cell.artifact, overlay], binds: [{ path: cell.artifact, readonly: true }, { path: work }], label: 'qemu-img' }), 'creating a disk overlay');
      const cfg = join(work, 'config.ign');
      const config = i.withCheck(i.userConfig);
      // A virtio-blk disk has whole 512-byte sectors: a config of any other length would lose its tail. Ignition
      // trims the trailing NULs of the block device it reads.
      await secret(cfg, i.profile.qemu.ignition === 'virtio-blk' ? padToSector(config) : config);
      const binds = [{ path: cell.artifact, readonly: true }];
      // The TCG arguments go into the overlay's BLS entries, as on metal copies (blocks written into the overlay).
      const zipl = bootMode(i.profile, cell.firmware).disk === 'zipl';
      let kargs: KargsEdit = { install: [], kargsAdded: [], ...(zipl && extra.length ? { kargsNote: ZIPL_NOTE } : {}) };
      if (extra.length && !zipl) {
        const skipped = await editQcow2BootPartition(exec, overlay, work, binds, async (onBoot) => {
          await onBoot(readKargsFiles.join('\n'));
          kargs = await editKargsFiles(work, extra);
          if (kargs.install.length) await onBoot(kargs.install.join('\n'));
          return kargs.install.length > 0;
        });
        if (skipped) kargs = { install: [], kargsAdded: [], kargsNote: skipped };
      }
      return {
        medium: { kind: 'disk', path: overlay, format: 'qcow2' }, binds, platformIgnition: cfg,
        kargsAdded: kargs.kargsAdded, ...(kargs.kargsNote ? { kargsNote: kargs.kargsNote } : {}),
      };
    }
  }
}

/**
 * Make the shipped GRUB netboot config load its kernel and initrds over HTTP: `set root=(http,10.0.2.2)` (QEMU's
 * host address; GRUB 2.06 speaks HTTP on port 80 only) and the check's Ignition initrd added when missing.
 */
export function grubNetForCheck(cfg: string, ign: string, terminal: string[]): string {
  const lines = cfg.split('\n').map((l) => (/^\s*initrd\s/.test(l) && !l.includes(`/${ign}`) ? `${l} /${ign}` : l));
  return [...terminal, 'set timeout=1', 'set root=(http,10.0.2.2)', ...lines].join('\n');
}

/**
 * UEFI network boot without iPXE: the firmware's PXE client gets a GRUB network image over QEMU's TFTP; GRUB reads
 * the build's GRUB config (also over TFTP) and fetches kernel and initrds over HTTP from a server started beside
 * QEMU in its own network namespace (port 80 is free there, whatever else runs on this host).
 */
async function prepareGrubNetboot(i: PrepareInput, pxe: PxeSet, ign: string, ignName: string, nb: Extract<Netboot, { kind: 'grub-tftp' }>): Promise<Prepared> {
  const grubFile = nb.grub_file;
  const { exec, work, profile } = i;
  if (!pxe.grub) throw new Error('network boot needs the GRUB config beside the PXE artifacts');
  const mode = bootMode(profile, i.cell.firmware);
  const tftp = join(work, 'tftp');
  const http = join(work, 'http');
  await mkdir(tftp, { recursive: true });
  await mkdir(http, { recursive: true });
  const shipped = await readFile(pxe.grub, 'utf8');
  const cfg = grubNetForCheck(i.extraKargs?.length ? grubCfgWithKargs(shipped, i.extraKargs) : shipped, ignName, grubTerminal(primaryConsole(profile.console.devices)));
  await writeFile(join(tftp, 'grub.cfg'), cfg);
  for (const f of [pxe.kernel, pxe.initramfs, pxe.rootfs]) await copyFile(f, join(http, basename(f)), constants.COPYFILE_FICLONE);
  await copyFile(ign, join(http, ignName));
  const embedded = join(work, 'grub-net-embedded.cfg');
  await writeFile(embedded, 'set prefix=(tftp,10.0.2.2)/\nconfigfile (tftp,10.0.2.2)/grub.cfg\n');
  check(await exec.run({
    argv: ['grub-mkimage', '-d', `/usr/lib/grub/${mode.grub_target!}`, '-O', mode.grub_target!, '-o', join(tftp, grubFile), '-p', '(tftp,10.0.2.2)/',
      '-c', embedded, ...new Set([...mode.grub_modules, ...nb.grub_modules])],
    binds: [{ path: work }],
    label: 'grub-mkimage (netboot)',
  }), 'making the GRUB network image');
  return { medium: { kind: 'netboot', bootUrl: grubFile, tftpRoot: tftp, httpRoot: http }, binds: [], kargsAdded: [...(i.extraKargs ?? [])] };
}
