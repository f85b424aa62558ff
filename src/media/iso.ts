// Assemble a hybrid live ISO (BIOS: isolinux El Torito + isohybrid MBR; UEFI: GRUB in images/efiboot.img,
// a FAT image made with mtools — nothing is mounted) in the CoreOS layout coreos-installer understands.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { check, type Executor } from '../executor/index.js';
import { Iso9660, fileHandleSource } from '../formats/iso9660.js';
import type { Profile } from '../profiles/schema.js';
import { writeViaTemp } from '../util/atomic.js';
import { Day0Error } from '../util/errors.js';
import {
  grubCfg, grubEfiEmbeddedCfg, igninfoJson, ISO_PATHS, isolinuxCfg, kargsJson,
} from './iso-layout.js';
import { placeFile, writeText } from './stage-files.js';

export interface IsoInput {
  exec: Executor;
  profile: Profile;
  kernel: string;
  initramfs: string;
  /** The PXE rootfs.img (cpio with root.squashfs first), placed as images/pxeboot/rootfs.img. */
  rootfsCpio: string;
  /** Scratch dir for the staging tree (bind-mounted into the builder). */
  workDir: string;
  out: string;
  volumeLabel: string;
  kargs: string;
  ignitionAreaSize: number;
}

/** Paths of bootloader files inside the builder image (Debian packages isolinux, syslinux-common, grub-efi-amd64-bin). */
const ISOLINUX = { bin: '/usr/lib/ISOLINUX/isolinux.bin', mbr: '/usr/lib/ISOLINUX/isohdpfx.bin', ldlinux: '/usr/lib/syslinux/modules/bios/ldlinux.c32' };
const GRUB_EFI_MODULES = [
  'part_gpt', 'part_msdos', 'fat', 'iso9660', 'normal', 'linux', 'configfile', 'search', 'search_label', 'echo', 'test',
  'serial', 'terminal', 'all_video', 'efi_gop', 'boot', 'ls', 'cat', 'gzio', 'chain', 'reboot',
];

export async function buildIso(i: IsoInput): Promise<void> {
  const p = i.profile;
  if (!p.bootloader.grub_efi_target || !p.bootloader.efi_boot_file) {
    throw new Day0Error(`profile ${p.arch} has no UEFI GRUB target`, { fix: `set bootloader.grub_efi_target in profiles/${p.arch}.toml` });
  }
  const tree = join(i.workDir, 'iso-tree');
  const areaSize = p.live.kargs_area_size;

  await placeFile(i.kernel, join(tree, ISO_PATHS.kernel));
  await placeFile(i.initramfs, join(tree, ISO_PATHS.initrd));
  await placeFile(i.rootfsCpio, join(tree, ISO_PATHS.rootfs));
  await writeText(join(tree, ISO_PATHS.ignition), Buffer.alloc(i.ignitionAreaSize));

  const grub = grubCfg(p, i.kargs, areaSize);
  const isolinux = isolinuxCfg(i.kargs, areaSize);
  await writeText(join(tree, ISO_PATHS.grubCfg), grub.text);
  await writeText(join(tree, ISO_PATHS.isolinuxCfg), isolinux.text);
  await writeText(join(tree, ISO_PATHS.igninfo), igninfoJson());
  await writeText(
    join(tree, ISO_PATHS.kargs),
    kargsJson(i.kargs, areaSize, [
      { path: ISO_PATHS.grubCfg, offset: grub.offset },
      { path: ISO_PATHS.isolinuxCfg, offset: isolinux.offset },
    ]),
  );
  await writeText(join(i.workDir, 'grub-embedded.cfg'), grubEfiEmbeddedCfg(i.volumeLabel));

  const efiBin = join(i.workDir, p.bootloader.efi_boot_file);
  const efiboot = join(tree, ISO_PATHS.efiboot);
  const binds = [{ path: i.workDir }];
  const run = async (argv: string[], what: string) =>
    check(await i.exec.run({ argv, binds, label: argv[0] }), what, 'see the tool output above; `day0 doctor` checks the builder');

  await run(['grub-mkimage', '-O', p.bootloader.grub_efi_target, '-o', efiBin, '-p', '/EFI/BOOT',
    '-c', join(i.workDir, 'grub-embedded.cfg'), ...GRUB_EFI_MODULES], 'grub-mkimage (UEFI)');
  const efiKiB = Math.ceil(((await stat(efiBin)).size + 512 * 1024) / 1024 / 64) * 64;
  await run(['sh', '-euc', [
    'rm -f "$1"; mkfs.fat -C -n EFIBOOT "$1" "$3" >/dev/null',
    'mmd -i "$1" ::/EFI ::/EFI/BOOT',
    'mcopy -i "$1" "$2" "::/EFI/BOOT/$4"',
  ].join('\n'), 'sh', efiboot, efiBin, String(efiKiB), p.bootloader.efi_boot_file], 'building images/efiboot.img (mtools)');
  await run(['sh', '-euc', 'mkdir -p "$1/isolinux" && cp "$2" "$3" "$1/isolinux/"', 'sh', tree, ISOLINUX.bin, ISOLINUX.ldlinux], 'copying isolinux');

  await writeViaTemp(i.out, async (tmp) => {
    check(
      await i.exec.run({
        argv: ['xorriso', '-as', 'mkisofs', '-quiet', '-o', tmp, '-V', i.volumeLabel,
          // Level-1 (8.3) names in the primary tree are what coreos-installer looks up; Rock Ridge keeps long names.
          '-iso-level', '1', '-R',
          '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
          '-isohybrid-mbr', ISOLINUX.mbr,
          '-eltorito-alt-boot', '-e', ISO_PATHS.efiboot, '-no-emul-boot', '-isohybrid-gpt-basdat',
          tree],
        binds: [{ path: i.workDir }, { path: join(i.out, '..') }],
        label: 'xorriso',
      }),
      'xorriso (ISO assembly)',
    );
    await verifyIsoLayout(tmp, i.volumeLabel);
  });
}

/** Read back what coreos-installer will look for, with day0's own ISO 9660 reader. */
export async function verifyIsoLayout(path: string, label: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const iso = await Iso9660.open(await fileHandleSource(fh));
    if (iso.volumeId !== label) throw new Day0Error(`ISO volume label is "${iso.volumeId}", expected "${label}"`, { fix: 'report this as a day0 bug' });
    for (const f of ['COREOS/IGNINFO.JSO', 'COREOS/KARGS.JSO', 'IMAGES/IGNITION.IMG', 'IMAGES/PXEBOOT/ROOTFS.IMG']) {
      if (!(await iso.lookup(f))) throw new Day0Error(`ISO lacks ${f} in its primary directory`, { fix: 'report this as a day0 bug' });
    }
  } finally {
    await fh.close();
  }
}
