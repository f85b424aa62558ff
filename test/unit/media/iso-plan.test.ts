// The live ISO plan as data (src/media/iso-plan.ts) for every profile: the tree, the bootloader steps, the El Torito
// entries, the embed areas (offsets that point at the area inside the text) and the xorriso argv.
import { describe, expect, it } from 'vitest';
import { CHRP_PATHS, chrpEmbeddedCfg } from '../../../src/media/chrp.js';
import { ISO_PATHS, grubEfiEmbeddedCfg, KARGS_MARKER } from '../../../src/media/iso-layout.js';
import { ISOLINUX, OUT, planIso, TREE, type IsoPlan, type IsoPlanInput, type TreeEntry } from '../../../src/media/iso-plan.js';
import { liveKargs } from '../../../src/media/kargs.js';
import { bootModes } from '../../../src/profiles/boot.js';
import type { Profile } from '../../../src/profiles/schema.js';
import { EACH_PROFILE, profile as profileOf } from '../../helpers/profiles.js';

const LABEL = 'day0-0123456789ab';

function planFor(p: Profile, over: Partial<IsoPlanInput> = {}): IsoPlan {
  return planIso({
    profile: p,
    kernel: '/b/vmlinuz',
    initramfs: '/b/initramfs.img',
    rootfsCpio: '/b/rootfs.img',
    volumeLabel: LABEL,
    kargs: liveKargs(p, { isoLabel: LABEL }),
    ignitionAreaSize: p.live.ignition_area_size,
    sizes: { kernel: 5_066_752, initramfs: 40_000_123 },
    ...over,
  });
}

/** Where a mode carries the Ignition area itself (IBM Z's cdboot.img) rather than images/ignition.img. */
const carriesIgnition = (p: Profile) => bootModes(p).some((m) => m.iso === 'cdboot');
const EL_TORITO: Record<string, string> = { isolinux: 'bios', efiboot: 'efi', cdboot: 'ibm-z' };

const entry = (plan: IsoPlan, path: string): TreeEntry | undefined => plan.tree.find((e) => e.path === path);
const textOf = (plan: IsoPlan, path: string): string => {
  const e = entry(plan, path);
  if (e?.source.kind !== 'text') throw new Error(`${path} is not a text entry of the plan`);
  return e.source.text;
};

/** The value following `flag` each time it occurs. */
const values = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag && i + 1 < argv.length ? [argv[i + 1]!] : []));

describe.each(EACH_PROFILE)('%s ISO plan', (arch, p) => {
  const plan = planFor(p);
  const isoModes = bootModes(p).filter((m) => m.iso !== 'none');
  const kargs = liveKargs(p, { isoLabel: LABEL });

  it('tree: the boot artifacts, the Ignition area of zeros, igninfo.json and kargs.json, each path once', () => {
    const paths = plan.tree.map((e) => e.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(entry(plan, ISO_PATHS.kernel)?.source).toEqual({ kind: 'file', from: '/b/vmlinuz' });
    expect(entry(plan, ISO_PATHS.initrd)?.source).toEqual({ kind: 'file', from: '/b/initramfs.img' });
    expect(entry(plan, ISO_PATHS.rootfs)?.source).toEqual({ kind: 'file', from: '/b/rootfs.img' });
    if (carriesIgnition(p)) {
      expect(entry(plan, ISO_PATHS.ignition)).toBeUndefined();
      const { file, offset, size } = plan.embed.ignition;
      expect(JSON.parse(textOf(plan, ISO_PATHS.igninfo))).toEqual({ file, offset, length: size });
      expect(entry(plan, file)).toBeDefined();
    } else {
      expect(entry(plan, ISO_PATHS.ignition)?.source).toEqual({ kind: 'zeros', size: p.live.ignition_area_size });
      expect(JSON.parse(textOf(plan, ISO_PATHS.igninfo))).toEqual({ file: ISO_PATHS.ignition });
    }
    // every step output the tree uses is made by a step
    for (const e of plan.tree) if (e.source.kind === 'step') expect(plan.steps.map((s) => s.id)).toContain(e.source.id);
    // paths are relative (xorriso grafts the tree dir)
    for (const pth of paths) expect(pth).not.toMatch(/^\//);
  });

  it('one El Torito entry per boot mode with an El Torito kind (isolinux, efiboot, cdboot), in the profile order', () => {
    const elTorito = isoModes.filter((m) => EL_TORITO[m.iso]);
    expect(plan.elTorito.map((e) => e.platform)).toEqual(elTorito.map((m) => EL_TORITO[m.iso]));
    for (const e of plan.elTorito) expect(plan.tree.map((t) => t.path)).toContain(e.image);
  });

  it('EFI modes: a GRUB image of the profile target and modules, in a FAT image at EFI/BOOT/<efi_boot_file>', () => {
    for (const m of isoModes.filter((x) => x.iso === 'efiboot')) {
      const mk = plan.steps.find((s) => s.kind === 'grub-mkimage' && s.target === m.grub_target);
      expect(mk).toEqual({ kind: 'grub-mkimage', id: `grub-${m.name}`, target: m.grub_target, modules: m.grub_modules, prefix: '/EFI/BOOT', embeddedConfig: grubEfiEmbeddedCfg(LABEL) });
      const fat = plan.steps.find((s) => s.kind === 'fat-image');
      expect(fat).toEqual({ kind: 'fat-image', id: 'efiboot', label: 'EFIBOOT', files: [{ path: `EFI/BOOT/${m.efi_boot_file}`, step: `grub-${m.name}` }] });
      expect(entry(plan, ISO_PATHS.efiboot)?.source).toEqual({ kind: 'step', id: 'efiboot' });
      // steps run in order: the GRUB image before the FAT image holding it
      expect(plan.steps.indexOf(mk!)).toBeLessThan(plan.steps.indexOf(fat!));
    }
  });

  it('embed areas: kargs.json records each file with an area, which holds the area at exactly that offset', () => {
    if (!carriesIgnition(p)) expect(plan.embed.ignition).toEqual({ file: ISO_PATHS.ignition, offset: 0, size: p.live.ignition_area_size });
    else expect(plan.embed.ignition.size).toBe(p.live.ignition_area_size);
    expect(plan.embed.kargs.default).toBe(kargs);
    expect(plan.embed.kargs.size).toBe(p.live.kargs_area_size);
    expect(plan.embed.kargs.files.length).toBe(isoModes.length);
    const size = p.live.kargs_area_size;
    for (const f of plan.embed.kargs.files) {
      const pad = f.pad ?? '#';
      const end = f.end ?? '\n';
      const src = entry(plan, f.path)?.source;
      if (src?.kind === 'cdboot') {
        // a binary area: the bytes the plan patches into the kernel's parameter area at that offset
        const patch = src.parm.find((x) => x.offset === f.offset);
        expect(patch?.bytes.toString('latin1')).toBe(`${kargs}${end}${pad.repeat(size - Buffer.byteLength(kargs) - 1)}`);
        continue;
      }
      const buf = Buffer.from(textOf(plan, f.path));
      const area = buf.subarray(f.offset, f.offset + size).toString();
      expect(area).toBe(`${kargs}${end}${pad.repeat(size - Buffer.byteLength(kargs) - 1)}`);
      expect(buf.subarray(f.offset + size).toString().startsWith(` ${KARGS_MARKER}\n`)).toBe(true);
      // the byte before the area ends the kernel line prefix ("linux /…vmlinuz " or "append initrd=… ")
      expect(buf.subarray(0, f.offset).toString()).toMatch(/ $/);
    }
    const json = JSON.parse(textOf(plan, ISO_PATHS.kargs));
    expect(json).toEqual({ default: kargs, size, files: plan.embed.kargs.files.map((f) => ({ path: f.path, offset: f.offset, pad: f.pad ?? '#', end: f.end ?? '\n' })) });
  });

  it('xorriso: mkisofs emulation, the label, level-1 names with Rock Ridge, each El Torito entry, the tree last', () => {
    const x = plan.xorriso;
    expect(x.slice(0, 4)).toEqual(['xorriso', '-as', 'mkisofs', '-quiet']);
    expect(values(x, '-o')).toEqual([OUT]);
    expect(values(x, '-V')).toEqual([LABEL]);
    expect(values(x, '-iso-level')).toEqual(['1']);
    expect(x).toContain('-R');
    expect(x.at(-1)).toBe(TREE);
    expect(x.filter((a) => a === '-eltorito-alt-boot')).toHaveLength(Math.max(0, plan.elTorito.length - 1));
    expect(values(x, '-b')).toEqual(plan.elTorito.filter((e) => e.platform !== 'efi').map((e) => e.image));
    expect(values(x, '-e')).toEqual(plan.elTorito.filter((e) => e.platform === 'efi').map((e) => e.image));
    // one boot catalog
    expect(values(x, '-c')).toHaveLength(plan.elTorito.length ? 1 : 0);
    // every file xorriso is pointed at is in the tree (or the builder's isolinux MBR)
    for (const f of [...values(x, '-b'), ...values(x, '-e')]) expect(plan.tree.map((t) => t.path)).toContain(f);
    if (plan.hybrid.mbr) expect(values(x, '-isohybrid-mbr')).toEqual([plan.hybrid.mbr]);
    else expect(x).not.toContain('-isohybrid-mbr');
  });

  it('hybrid layout: isohybrid MBR with an isolinux entry; the EFI image marked in GPT or appended as a partition', () => {
    const hasIsolinux = isoModes.some((m) => m.iso === 'isolinux');
    const hasEfi = isoModes.some((m) => m.iso === 'efiboot');
    expect(Boolean(plan.hybrid.mbr)).toBe(hasIsolinux);
    expect(plan.hybrid.efiPartition).toBe(!hasEfi ? 'none' : hasIsolinux ? 'gpt-basdat' : 'appended');
    expect(plan.xorriso.includes('-isohybrid-gpt-basdat')).toBe(plan.hybrid.efiPartition === 'gpt-basdat');
    expect(plan.xorriso.includes('-append_partition')).toBe(plan.hybrid.efiPartition === 'appended');
  });

  it('extra files (features.json) join the tree; the plan is pure', () => {
    const withExtra = planFor(p, { extraFiles: { [ISO_PATHS.features]: '{"x":true}\n' } });
    expect(entry(withExtra, ISO_PATHS.features)?.source).toEqual({ kind: 'text', text: '{"x":true}\n' });
    expect(planFor(p)).toEqual(plan);
    expect(plan.volumeLabel).toBe(LABEL);
    expect(JSON.stringify(plan)).toContain(arch);
  });

  it('kargs longer than the area are refused', () => {
    expect(() => planFor(p, { kargs: 'x'.repeat(p.live.kargs_area_size) })).toThrow(/exceed the .*-byte embed area|too long for the ISO's embed area/);
  });
});

describe('x86_64 ISO plan: the hybrid BIOS/UEFI ISO as before', () => {
  const plan = planFor(profileOf('x86_64'));

  it('isolinux (+ isohybrid MBR) for BIOS, efiboot.img with BOOTX64.EFI for UEFI', () => {
    expect(plan.elTorito).toEqual([
      { platform: 'bios', image: 'isolinux/isolinux.bin', catalog: 'isolinux/boot.cat', loadSize: 4, bootInfoTable: true },
      { platform: 'efi', image: 'images/efiboot.img' },
    ]);
    expect(entry(plan, 'isolinux/isolinux.bin')?.source).toEqual({ kind: 'builder-file', from: ISOLINUX.bin });
    expect(entry(plan, 'isolinux/ldlinux.c32')?.source).toEqual({ kind: 'builder-file', from: ISOLINUX.ldlinux });
    expect(plan.hybrid).toEqual({ mbr: '/usr/lib/ISOLINUX/isohdpfx.bin', efiPartition: 'gpt-basdat' });
    expect(plan.steps.find((s) => s.kind === 'fat-image')).toMatchObject({ files: [{ path: 'EFI/BOOT/BOOTX64.EFI' }] });
    expect(plan.steps.find((s) => s.kind === 'grub-mkimage')).toMatchObject({ target: 'x86_64-efi' });
  });

  it('the same xorriso invocation as before boot modes existed', () => {
    expect(plan.xorriso).toEqual(['xorriso', '-as', 'mkisofs', '-quiet', '-o', OUT, '-V', LABEL,
      '-iso-level', '1', '-R',
      '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
      '-isohybrid-mbr', '/usr/lib/ISOLINUX/isohdpfx.bin',
      '-eltorito-alt-boot', '-e', 'images/efiboot.img', '-no-emul-boot', '-isohybrid-gpt-basdat',
      TREE]);
  });

  it('both configs carry a kargs area (coreos-installer edits both)', () => {
    expect(plan.embed.kargs.files.map((f) => f.path).sort()).toEqual([ISO_PATHS.grubCfg, ISO_PATHS.isolinuxCfg].sort());
  });
});

describe('aarch64 ISO plan: UEFI only', () => {
  const plan = planFor(profileOf('aarch64'));

  it('only an EFI El Torito entry; GRUB arm64-efi as BOOTAA64.EFI', () => {
    expect(plan.elTorito).toEqual([{ platform: 'efi', image: 'images/efiboot.img' }]);
    expect(plan.steps.find((s) => s.kind === 'grub-mkimage')).toMatchObject({ target: 'arm64-efi', id: 'grub-uefi' });
    expect(plan.steps.find((s) => s.kind === 'fat-image')).toMatchObject({ files: [{ path: 'EFI/BOOT/BOOTAA64.EFI', step: 'grub-uefi' }] });
  });

  it('no isolinux files, no isohybrid MBR', () => {
    expect(plan.tree.some((e) => e.path.startsWith('isolinux/'))).toBe(false);
    expect(JSON.stringify(plan)).not.toMatch(/isolinux|ISOLINUX|syslinux|isohdpfx/);
    expect(plan.hybrid.mbr).toBeUndefined();
    expect(plan.xorriso).not.toContain('-isohybrid-mbr');
    expect(plan.xorriso).not.toContain('-b');
    expect(plan.xorriso).not.toContain('-eltorito-alt-boot');
    expect(plan.xorriso).not.toContain('-isohybrid-gpt-basdat');
  });

  it('the EFI image is appended as a GPT EFI system partition (so the ISO boots from a USB stick too)', () => {
    expect(plan.hybrid.efiPartition).toBe('appended');
    const x = plan.xorriso;
    const i = x.indexOf('-append_partition');
    expect(x.slice(i, i + 4)).toEqual(['-append_partition', '2', '0xef', `${TREE}/images/efiboot.img`]);
    expect(x).toContain('-appended_part_as_gpt');
    expect(x.slice(x.indexOf('-e'), x.indexOf('-e') + 3)).toEqual(['-e', 'images/efiboot.img', '-no-emul-boot']);
    expect(values(x, '-c')).toEqual(['boot.cat']);
  });

  it('one kargs area, in EFI/BOOT/grub.cfg, which talks on the firmware console and boots with console=ttyAMA0', () => {
    expect(plan.embed.kargs.files.map((f) => f.path)).toEqual([ISO_PATHS.grubCfg]);
    const cfg = textOf(plan, ISO_PATHS.grubCfg);
    expect(cfg.startsWith('terminal_input console\nterminal_output console\n')).toBe(true);
    expect(cfg).not.toContain('serial');
    expect(cfg).toContain("menuentry 'Live aarch64'");
    expect(plan.embed.kargs.default).toContain('console=ttyAMA0,115200n8');
    expect(plan.embed.kargs.default).not.toContain('ttyS0');
  });
});

describe('ppc64le ISO plan: CHRP for Open Firmware, no El Torito', () => {
  const p = profileOf('ppc64le');
  const plan = planFor(p);

  it('ppc/bootinfo.txt runs the GRUB powerpc-ieee1275 ELF from the device it was read from', () => {
    const info = textOf(plan, CHRP_PATHS.bootinfo);
    expect(info).toMatch(/^<chrp-boot>\n/);
    expect(info).toContain('<boot-script>boot &device;:,\\boot\\grub\\powerpc.elf</boot-script>');
    expect(info.trim().endsWith('</chrp-boot>')).toBe(true);
    expect(entry(plan, CHRP_PATHS.grubElf)?.source).toEqual({ kind: 'step', id: 'grub-ieee1275' });
    expect(plan.steps).toEqual([{ kind: 'grub-mkimage', id: 'grub-ieee1275', target: 'powerpc-ieee1275', modules: p.boot.ieee1275!.grub_modules, prefix: '/boot/grub', embeddedConfig: chrpEmbeddedCfg(LABEL) }]);
    expect(chrpEmbeddedCfg(LABEL)).toContain(`search --no-floppy --label ${LABEL} --set=root`);
    expect(chrpEmbeddedCfg(LABEL)).toContain('configfile ($root)/boot/grub/grub.cfg');
  });

  it('level-1 names stay 8.3 (what Open Firmware looks up in the primary tree)', () => {
    for (const path of Object.values(CHRP_PATHS)) {
      for (const part of path.split('/')) expect(part).toMatch(/^[a-z0-9_]{1,8}(\.[a-z0-9_]{1,3})?$/);
    }
  });

  it('no El Torito entry, no boot catalog, no hybrid MBR or EFI partition; no EFI or isolinux files', () => {
    expect(plan.elTorito).toEqual([]);
    expect(plan.hybrid).toEqual({ efiPartition: 'none' });
    for (const f of ['-b', '-e', '-c', '-eltorito-alt-boot', '-isohybrid-mbr', '-append_partition']) expect(plan.xorriso).not.toContain(f);
    expect(JSON.stringify(plan.tree)).not.toMatch(/EFI\/|isolinux|efiboot/);
  });

  it('the kargs area lives in boot/grub/grub.cfg, which talks on the firmware console and boots with console=hvc0', () => {
    expect(plan.embed.kargs.files.map((f) => f.path)).toEqual([CHRP_PATHS.grubCfg]);
    const cfg = textOf(plan, CHRP_PATHS.grubCfg);
    expect(cfg.startsWith('terminal_input console\nterminal_output console\n')).toBe(true);
    expect(cfg).toContain(`initrd /${ISO_PATHS.initrd} /${ISO_PATHS.ignition}`);
    expect(plan.embed.kargs.default).toContain('console=hvc0');
    expect(plan.embed.kargs.default).toContain(`coreos.liveiso=${LABEL}`);
  });
});
