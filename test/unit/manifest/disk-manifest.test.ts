// The disk build plan: every format × sector size × profile is a manifest that real osbuild's schemas accept;
// broken manifests are rejected with the offending path; partition offsets and alignment for 512 and 4096; the
// bootloader stages follow the profile's boot modes (GRUB BIOS core + EFI on x86_64, EFI only on aarch64, a zipl
// boot record and no GRUB at all on s390x).
import { describe, expect, test } from 'vitest';
import { DISK_FORMATS, diskKargs, FORMATS, generateDiskManifest, outputFileName, seededUuid, supportedDiskFormats, type DiskFormat, type DiskPlanInput } from '../../../src/manifest/disk.js';
import { blsEntryText, blsOptions, bootGrubCfg, CONSOLE_END, CONSOLE_START, editBlsOptions, efiStubGrubCfg, FIRSTBOOT_TOKEN, GRUB_BOOT_MODULES_DIR } from '../../../src/manifest/grub.js';
import { gptEntrySectors, planLayout, type SectorSize } from '../../../src/manifest/layout.js';
import type { Manifest, Stage } from '../../../src/manifest/types.js';
import { assertValidManifest, formatPath, osbuildReferenceDir, validateManifest } from '../../../src/manifest/validate.js';
import { bootModes } from '../../../src/profiles/boot.js';
import { consoleKarg, parseConsole } from '../../../src/profiles/console.js';
import type { Profile } from '../../../src/profiles/schema.js';
import { EACH_PROFILE, profile as profileOf } from '../../helpers/profiles.js';

const profile = profileOf('x86_64');

/** A fake GRUB EFI image per EFI boot mode of the profile, keyed by its efi_boot_file. */
function efiBinaries(p: Profile): Record<string, Buffer> {
  return Object.fromEntries(bootModes(p).filter((m) => m.disk === 'grub2-efi').map((m) => [m.efi_boot_file!, Buffer.from(`MZ fake ${m.efi_boot_file}`)]));
}

function input(over: Partial<DiskPlanInput> = {}): DiskPlanInput {
  const p = over.profile ?? profile;
  return {
    profile: p,
    name: 'demo',
    formats: ['metal'],
    ignition: Buffer.from('{"ignition":{"version":"3.3.0"}}'),
    kernel: { version: '6.1.0-28-amd64', vmlinuz: '/usr/lib/modules/6.1.0-28-amd64/vmlinuz', initramfs: '/usr/lib/modules/6.1.0-28-amd64/initramfs.img' },
    image: { id: `sha256:${'a'.repeat(64)}`, name: 'localhost:5000/day0/demo-layered', digest: `sha256:${'b'.repeat(64)}` },
    builder: { id: `sha256:${'c'.repeat(64)}`, name: 'localhost/day0/builder:latest' },
    efiBinaries: efiBinaries(p),
    seed: 'unit-test',
    ...over,
  };
}

const stagesOf = (m: Manifest, pipeline: string): Stage[] => m.pipelines.find((p) => p.name === pipeline)!.stages;

describe('osbuild reference', () => {
  test('is present (tests below validate against it)', () => {
    // Without ../shared/reference/osbuild (or DAY0_REFERENCE_DIR) the validation tests cannot mean anything.
    expect(() => osbuildReferenceDir(), 'osbuild schemas missing: set DAY0_REFERENCE_DIR to the reference directory').not.toThrow();
  });

  test('a missing reference is a clear error', () => {
    expect(() => osbuildReferenceDir({ DAY0_REFERENCE_DIR: '/nonexistent' })).toThrow(/osbuild schemas not found.*\/nonexistent/);
  });
});

describe('every format × sector size validates against the osbuild schemas', () => {
  const cases: [DiskFormat, SectorSize][] = DISK_FORMATS.flatMap((f) => ([512, 4096] as const).map((ss) => [f, ss] as [DiskFormat, SectorSize]));
  test.each(cases)('%s at %i-byte sectors', (format, sectorSize) => {
    const { manifest, outputs } = generateDiskManifest(input({ formats: [format], sectorSize }));
    const r = validateManifest(manifest);
    expect(r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual([]);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.layout.sectorSize).toBe(sectorSize);
    // Every loopback device carries the sector size.
    for (const p of manifest.pipelines) for (const s of p.stages) for (const d of Object.values(s.devices ?? {})) expect(d.options?.['sector-size']).toBe(sectorSize);
  });

  test('all formats in one manifest (shared trees), ext4 root, extra kargs, no ignition', () => {
    const { manifest } = generateDiskManifest(input({ formats: [...DISK_FORMATS], rootFs: 'ext4', kargAppend: ['quiet'], ignition: undefined }));
    assertValidManifest(manifest);
    const names = manifest.pipelines.map((p) => p.name);
    expect(names).toEqual(['build', 'tree', 'efi-tree', 'boot-metal', 'boot-qemu', 'boot-vmware', 'boot-azure',
      'metal', 'metal4k', 'raw-qemu', 'qemu', 'raw-vmware', 'vmware', 'raw-azure', 'azure']);
    expect(stagesOf(manifest, 'metal').map((s) => s.type)).toContain('org.osbuild.mkfs.ext4');
    expect(stagesOf(manifest, 'metal').map((s) => s.type)).not.toContain('org.osbuild.mkfs.xfs');
  });

  test('the osbuild stage sequence of a raw disk', () => {
    const { manifest } = generateDiskManifest(input({ formats: ['metal'] }));
    expect(stagesOf(manifest, 'metal').map((s) => s.type)).toEqual([
      'org.osbuild.truncate', 'org.osbuild.sfdisk', 'org.osbuild.mkfs.fat', 'org.osbuild.mkfs.ext4', 'org.osbuild.mkfs.xfs',
      'org.osbuild.copy', 'org.osbuild.copy', 'org.osbuild.copy', 'org.osbuild.grub2.inst',
    ]);
    const grub = stagesOf(manifest, 'metal').at(-1)!.options as Record<string, unknown>;
    expect(grub).toMatchObject({ platform: 'i386-pc', location: 2048, prefix: { type: 'partition', partlabel: 'gpt', number: 2, path: '/grub2' }, 'sector-size': 512 });
  });

  test('converted formats: qemu stage options', () => {
    const { manifest, outputs } = generateDiskManifest(input({ formats: ['qemu', 'vmware', 'azure'] }));
    const fmt = (p: string) => (stagesOf(manifest, p)[0]!.options as { format: Record<string, unknown>; filename: string });
    expect(fmt('qemu').format).toMatchObject({ type: 'qcow2' });
    expect(fmt('vmware').format).toMatchObject({ type: 'vmdk', subformat: 'streamOptimized' });
    expect(fmt('azure').format).toMatchObject({ type: 'vpc', subformat: 'fixed', force_size: true });
    expect(outputs.map((o) => o.fileName)).toEqual(['demo-qemu.x86_64.qcow2', 'demo-vmware.x86_64.vmdk', 'demo-azure.x86_64.vhd']);
  });
});

describe('platforms, kernel arguments and the first-boot config', () => {
  const grubCfgOf = (m: Manifest, platform: string): string => {
    const copy = stagesOf(m, `boot-${platform}`).find((s) => s.type === 'org.osbuild.copy' && (s.options as { paths: { to: string }[] }).paths.some((p) => p.to.endsWith('/grub.cfg')))!;
    const id = (copy.options as { paths: { from: string; to: string }[] }).paths.find((p) => p.to.endsWith('grub.cfg'))!.from.split('/').pop()!;
    const items = m.sources!['org.osbuild.inline']!.items as Record<string, { data: string }>;
    return Buffer.from(items[id]!.data, 'base64').toString('utf8');
  };

  test('metal bakes the config (0600) and the flag; qemu/vmware/azure never carry the config', () => {
    const cfg = Buffer.from('{"ignition":{"version":"3.3.0"},"secret":"x"}');
    const { manifest } = generateDiskManifest(input({ formats: ['metal', 'qemu', 'vmware', 'azure'], ignition: cfg }));
    const metal = stagesOf(manifest, 'boot-metal');
    expect(JSON.stringify(metal)).toContain('tree:///ignition/config.ign');
    expect(metal.find((s) => s.type === 'org.osbuild.chmod')!.options).toEqual({ items: { '/ignition/config.ign': { mode: '0600' } } });
    for (const p of ['boot-metal', 'boot-qemu', 'boot-vmware', 'boot-azure']) expect(stagesOf(manifest, p).at(-1)).toEqual({ type: 'org.osbuild.ignition', options: { target: 'tree:///' } });
    for (const p of ['boot-qemu', 'boot-vmware', 'boot-azure']) expect(JSON.stringify(stagesOf(manifest, p))).not.toContain('config.ign');
    // The config is inline exactly once (metal).
    const items = manifest.sources!['org.osbuild.inline']!.items as Record<string, { data: string }>;
    expect(Object.values(items).filter((i) => Buffer.from(i.data, 'base64').equals(cfg))).toHaveLength(1);
  });

  const entryOf = (m: Manifest, platform: string): string => copiedFile(m, `boot-${platform}`, 'tree:///loader/entries/day0-6.1.0-28-amd64.conf')!.toString();

  test('the BLS entry: kernel, initrd, root by label, profile args, platform id, extra args, $ignition_firstboot last', () => {
    const { manifest } = generateDiskManifest(input({ formats: ['metal', 'qemu'], kargAppend: ['quiet'], osName: 'Demo OS' }));
    expect(entryOf(manifest, 'metal')).toBe([
      'title Demo OS (6.1.0-28-amd64)',
      'version 6.1.0-28-amd64',
      'linux /vmlinuz-6.1.0-28-amd64',
      'initrd /initramfs-6.1.0-28-amd64.img',
      'options root=LABEL=root rw console=tty0 console=ttyS0,115200n8 ignition.platform.id=metal quiet $ignition_firstboot',
      '',
    ].join('\n'));
    expect(blsOptions(entryOf(manifest, 'qemu'))).toContain('ignition.platform.id=qemu');
  });

  test('grub.cfg boots the entries: reads each with source, loads the linux module only after, firstboot only while the flag exists', () => {
    const { manifest } = generateDiskManifest(input({ formats: ['metal'] }));
    const cfg = grubCfgOf(manifest, 'metal');
    // Nothing about the kernel is in grub.cfg: it comes from the entry.
    expect(cfg).not.toContain('vmlinuz');
    expect(cfg).not.toContain('root=LABEL');
    expect(cfg).toMatch(/if \[ -f \/ignition.firstboot \]; then\n {2}set ignition_firstboot="ignition.firstboot"\nfi/);
    expect(cfg).toContain('search --no-floppy --label boot --set root');
    expect(cfg).toContain('for bls_file in ($root)/loader/entries/*.conf; do');
    // Every BLS key day0 writes is a function while the entry is sourced; `insmod linux` comes after `source`.
    for (const k of ['title', 'version', 'linux', 'initrd', 'options']) expect(cfg).toMatch(new RegExp(`^function ${k} \\{ set bls_${k}=".*"; \\}$`, 'm'));
    const boot = cfg.slice(cfg.indexOf('function day0_bls_boot'));
    expect(boot.indexOf('day0_bls_read')).toBeLessThan(boot.indexOf('insmod linux'));
    expect(boot.indexOf('insmod linux')).toBeLessThan(boot.indexOf('linux $bls_linux $bls_options'));
    // coreos-installer's --console rewrites what is between the markers.
    expect(cfg.slice(cfg.indexOf(CONSOLE_START), cfg.indexOf(CONSOLE_END))).toContain('serial --unit=0 --speed=115200');
  });

  test('kernel arguments are checked: GRUB must not expand, split or quote them', () => {
    for (const bad of ['two words', 'a=$x', "it's", 'a"b', 'x;y', 'a\\b', '']) {
      expect(() => blsEntryText({ title: 't', version: 'v', linux: '/k', initrd: ['/i'], options: [bad] }), bad).toThrow(/cannot go into a boot loader entry/);
    }
    expect(() => generateDiskManifest(input({ kargAppend: ['two words'] }))).toThrow(/whitespace/);
    expect(() => generateDiskManifest(input({ kargAppend: ['a=$x'] }))).toThrow(/cannot go into a boot loader entry/);
    const cfg = (c: string) => bootGrubCfg({ console: parseConsole(c) });
    expect(cfg('ttyAMA0')).not.toContain('serial');
    expect(cfg('ttyAMA0')).toContain('terminal_output console');
    expect(cfg('hvc0')).not.toContain('serial');
    expect(cfg('ttyS0,115200n8')).toContain(`${CONSOLE_START}\nserial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\n${CONSOLE_END}\n`);
  });

  test('BLS options edits as coreos-installer makes them: in place, other lines kept', () => {
    const e = blsEntryText({ title: 'T (1)', version: '1', linux: '/k', initrd: ['/i'], options: ['root=LABEL=root', 'quiet'] });
    expect(blsOptions(e)).toEqual(['root=LABEL=root', 'quiet', FIRSTBOOT_TOKEN]);
    const edited = editBlsOptions(e, { delete: ['quiet'], append: ['console=ttyS1', 'root=LABEL=root'] });
    expect(blsOptions(edited)).toEqual(['root=LABEL=root', FIRSTBOOT_TOKEN, 'console=ttyS1']);
    expect(edited.split('\n').filter((l) => !l.startsWith('options'))).toEqual(e.split('\n').filter((l) => !l.startsWith('options')));
    expect(() => editBlsOptions('title x\n', { append: ['a'] })).toThrow(/no options line/);
  });

  test('UUIDs are reproducible from the seed and version-4 shaped', () => {
    expect(seededUuid('s', 'a')).toBe(seededUuid('s', 'a'));
    expect(seededUuid('s', 'a')).not.toBe(seededUuid('s', 'b'));
    expect(seededUuid('s', 'a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const a = generateDiskManifest(input({ formats: ['metal', 'qemu'] })).manifest;
    const b = generateDiskManifest(input({ formats: ['metal', 'qemu'] })).manifest;
    expect(a).toEqual(b);
    // The same root filesystem (same UUID) in every 512-byte disk: built once, reused.
    const xfs = (p: string) => stagesOf(a, p).find((s) => s.type === 'org.osbuild.mkfs.xfs')!.options;
    expect(xfs('metal')).toEqual(xfs('raw-qemu'));
  });
});

describe('broken manifests are rejected with the path named', () => {
  const good = () => structuredClone(generateDiskManifest(input({ formats: ['metal'] })).manifest) as unknown as Record<string, any>;
  const idx = (m: Record<string, any>, name: string) => (m.pipelines as { name: string }[]).findIndex((p) => p.name === name);

  test.each([
    ['stage option of the wrong type', (m: Record<string, any>) => { m.pipelines[idx(m, 'metal')].stages[0].options.size = 4096; }, /\$\.pipelines\[4\]\.stages\[0\]\.options\.size: must be string/],
    ['enum violated', (m: Record<string, any>) => { m.pipelines[idx(m, 'metal')].stages[1].options.label = 'apm'; }, /\$\.pipelines\[4\]\.stages\[1\]\.options\.label: must be one of/],
    ['unknown device option', (m: Record<string, any>) => { m.pipelines[idx(m, 'metal')].stages[2].devices.device.options.offset = 1; }, /\$\.pipelines\[4\]\.stages\[2\]\.devices\.device\.options: additional property "offset"/],
    ['unknown mount option', (m: Record<string, any>) => { m.pipelines[idx(m, 'metal')].stages[5].mounts[0].options = { nosuid: true }; }, /\$\.pipelines\[4\]\.stages\[5\]\.mounts\[0\]\.options: additional property "nosuid"/],
    ['unknown stage', (m: Record<string, any>) => { m.pipelines[0].stages[0].type = 'org.osbuild.nosuchstage'; }, /\$\.pipelines\[0\]\.stages\[0\]: unknown stage "org\.osbuild\.nosuchstage"/],
    ['missing required option', (m: Record<string, any>) => { delete m.pipelines[idx(m, 'metal')].stages[4].options.uuid; }, /\$\.pipelines\[4\]\.stages\[4\]\.options: must have required property 'uuid'/],
    ['bad manifest version', (m: Record<string, any>) => { m.version = '1'; }, /\$\.version: must be one of \["2"\]/],
    ['bad inline source', (m: Record<string, any>) => { m.sources['org.osbuild.inline'].items['sha256:00'] = { encoding: 'rot13', data: '' }; }, /\$\.sources\["org\.osbuild\.inline"\]/],
    ['bad tree input origin', (m: Record<string, any>) => { m.pipelines[idx(m, 'metal')].stages[5].inputs.tree.origin = 'org.osbuild.source'; }, /\$\.pipelines\[4\]\.stages\[5\]\.inputs\.tree\.origin/],
  ])('%s', (_what, breakIt, expected) => {
    const m = good();
    expect(idx(m, 'metal')).toBe(4);
    breakIt(m);
    const r = validateManifest(m);
    expect(r.valid).toBe(false);
    expect(r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n')).toMatch(expected);
    expect(() => assertValidManifest(m)).toThrow(/does not validate against the osbuild schemas/);
  });
});

describe('partition layout', () => {
  test.each([512, 4096] as const)('%i-byte sectors: 1 MiB aligned, in order, inside the usable area, root takes the rest', (ss) => {
    const l = planLayout(profile, { sectorSize: ss, diskSizeMib: 4096 });
    const perMiB = 1048576 / ss;
    expect(l.totalSectors).toBe((4096 * 1048576) / ss);
    expect(l.firstUsable).toBe(2 + gptEntrySectors(ss));
    expect(l.lastUsable).toBe(l.totalSectors - 2 - gptEntrySectors(ss));
    expect(l.partitions.map((p) => [p.name, p.size / perMiB])).toEqual([['BIOS-BOOT', 1], ['EFI-SYSTEM', 127], ['boot', 384], ['root', 4096 - 1 - 127 - 384 - 2]]);
    let prevEnd = l.firstUsable - 1;
    for (const p of l.partitions) {
      expect(p.start % perMiB).toBe(0);
      expect(p.size % perMiB).toBe(0);
      expect(p.start).toBeGreaterThan(prevEnd);
      expect(p.offsetBytes).toBe(p.start * ss);
      expect(p.sizeBytes).toBe(p.size * ss);
      prevEnd = p.start + p.size - 1;
    }
    expect(prevEnd).toBeLessThanOrEqual(l.lastUsable);
    expect(l.partitions[0]!.offsetBytes).toBe(1048576);
    expect(l.partitions.map((p) => p.label ?? null)).toEqual([null, 'EFI-SYSTEM', 'boot', 'root']);
    expect(l.partitions.map((p) => p.type)).toEqual(profile.disk.partitions.map((p) => p.type.toUpperCase()));
  });

  test('512 and 4096 give the same byte offsets', () => {
    const a = planLayout(profile, { sectorSize: 512, diskSizeMib: 8192 });
    const b = planLayout(profile, { sectorSize: 4096, diskSizeMib: 8192 });
    expect(a.partitions.map((p) => [p.offsetBytes, p.sizeBytes])).toEqual(b.partitions.map((p) => [p.offsetBytes, p.sizeBytes]));
  });

  test('the manifest carries the layout in sectors (sfdisk and loopback agree)', () => {
    for (const [format, ss] of [['metal', 512], ['metal4k', 4096]] as const) {
      const { manifest, outputs } = generateDiskManifest(input({ formats: [format] }));
      expect(FORMATS[format].sectorSize).toBe(ss);
      const stages = stagesOf(manifest, format);
      const parts = (stages[1]!.options as { partitions: { start: number; size: number }[] }).partitions;
      expect(parts.map((p) => [p.start, p.size])).toEqual(outputs[0]!.layout.partitions.map((p) => [p.start, p.size]));
      const mkfs = stages.filter((s) => s.type.startsWith('org.osbuild.mkfs.'));
      expect(mkfs.map((s) => [s.devices!.device!.options!.start, s.devices!.device!.options!.size])).toEqual(outputs[0]!.layout.partitions.slice(1).map((p) => [p.start, p.size]));
      expect(outputs[0]!.layout.partitions.slice(1)).toEqual(outputs[0]!.layout.partitions.filter((p) => p.filesystem));
      expect((stages[0]!.options as { size: string }).size).toBe(String(4096 * 1048576));
    }
  });

  test('too small a disk, odd sizes and unsupported sector sizes are errors with a fix', () => {
    expect(() => planLayout(profile, { sectorSize: 512, diskSizeMib: 400 })).toThrow(/too small/);
    expect(() => planLayout(profile, { sectorSize: 512, diskSizeMib: 1000.5 })).toThrow(/whole number of MiB/);
    expect(() => planLayout(profile, { sectorSize: 2048 as SectorSize, diskSizeMib: 4096 })).toThrow(/2048-byte sectors/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every profile: the plan follows the profile's partitions and boot modes.

const inlineData = (m: Manifest, id: string): Buffer => {
  const items = m.sources!['org.osbuild.inline']!.items as Record<string, { data: string }>;
  return Buffer.from(items[id]!.data, 'base64');
};

/** The file copied to `to` by a copy stage of `pipeline`, read from the inline sources. */
function copiedFile(m: Manifest, pipeline: string, to: string): Buffer | undefined {
  for (const s of stagesOf(m, pipeline)) {
    if (s.type !== 'org.osbuild.copy') continue;
    const path = (s.options as { paths: { from: string; to: string }[] }).paths.find((x) => x.to === to);
    if (path?.from.startsWith('input://files/')) return inlineData(m, path.from.slice('input://files/'.length));
  }
  return undefined;
}

describe.each(EACH_PROFILE)('%s disk plan', (arch, p) => {
  const mk = (over: Partial<DiskPlanInput> = {}) => generateDiskManifest(input({ profile: p, ...over }));
  const efi = bootModes(p).filter((m) => m.disk === 'grub2-efi');
  // modes whose GRUB is a core image outside any filesystem, and the partition role that holds it
  const CORE_ROLE = { 'grub2-bios': 'bios-boot', 'grub2-prep': 'prep' } as Record<string, string>;
  const bios = bootModes(p).filter((m) => m.disk in CORE_ROLE);
  const zipl = bootModes(p).filter((m) => m.disk === 'zipl');
  const grub = bootModes(p).some((m) => m.disk.startsWith('grub2-'));
  const formats = supportedDiskFormats(p);
  const cases: [DiskFormat, SectorSize][] = DISK_FORMATS.flatMap((f) => p.disk.sector_sizes.map((ss) => [f, ss] as [DiskFormat, SectorSize]));

  test.each(cases)('%s at %i-byte sectors validates against the osbuild schemas', (format, sectorSize) => {
    const { manifest, outputs } = mk({ formats: [format], sectorSize });
    const r = validateManifest(manifest);
    expect(r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual([]);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.layout.sectorSize).toBe(sectorSize);
    expect(outputs[0]!.fileName).toBe(outputFileName('demo', format, arch));
    expect(outputs[0]!.fileName).toBe(`demo-${format}.${arch}.${FORMATS[format].ext}`);
    for (const pl of manifest.pipelines) for (const s of pl.stages) for (const d of Object.values(s.devices ?? {})) expect(d.options?.['sector-size']).toBe(sectorSize);
  });

  test('all formats in one manifest validate, with shared trees', () => {
    const { manifest } = mk({ formats, rootFs: 'ext4', kargAppend: ['quiet'] });
    assertValidManifest(manifest);
    expect(manifest.pipelines.map((x) => x.name)).toEqual(['build', 'tree', ...(efi.length ? ['efi-tree'] : []), 'boot-metal', 'boot-qemu', 'boot-vmware', 'boot-azure',
      ...formats.flatMap((f) => (FORMATS[f].convert ? [`raw-${f}`, f] : [f]))]);
  });

  test('a format no boot mode can boot is refused before anything is planned, naming the formats there are', () => {
    for (const f of DISK_FORMATS.filter((x) => !formats.includes(x))) {
      expect(() => mk({ formats: [f] })).toThrow(new RegExp(`${arch} has no ${f} image`));
    }
    expect(formats).toEqual(expect.arrayContaining(['metal', 'qemu']));
  });

  test.each(p.disk.sector_sizes)('the raw disk at %i-byte sectors: the profile partitions, their filesystems, then the boot modes\' bootloader stages', (ss) => {
    const { manifest, outputs } = mk({ formats: ['metal'], sectorSize: ss as SectorSize });
    const stages = stagesOf(manifest, 'metal');
    const layout = outputs[0]!.layout;
    const fsParts = layout.partitions.filter((x) => x.filesystem);
    const mkfsType = { vfat: 'org.osbuild.mkfs.fat', ext4: 'org.osbuild.mkfs.ext4', xfs: 'org.osbuild.mkfs.xfs' } as const;
    const biosHere = bios.filter((m) => (m.sector_sizes as number[]).includes(ss));
    const ziplHere = zipl.some((m) => (m.sector_sizes as number[]).includes(ss));
    expect(stages.map((s) => s.type)).toEqual([
      'org.osbuild.truncate', 'org.osbuild.sfdisk',
      ...fsParts.map((x) => mkfsType[x.filesystem!]),
      ...fsParts.map(() => 'org.osbuild.copy'),
      ...biosHere.map(() => 'org.osbuild.grub2.inst'),
      ...(ziplHere ? ['org.osbuild.zipl.inst'] : []),
    ]);
    const sfdisk = stages[1]!.options as { label: string; partitions: { name: string; type: string; start: number; size: number }[] };
    expect(sfdisk.label).toBe('gpt');
    expect(sfdisk.partitions.map((x) => x.name)).toEqual(p.disk.partitions.map((x) => x.name));
    expect(sfdisk.partitions.map((x) => x.type)).toEqual(p.disk.partitions.map((x) => x.type.toUpperCase()));
    const bootNumber = layout.partitions.findIndex((x) => x.mountpoint === '/boot');
    const grubStages = stages.filter((s) => s.type === 'org.osbuild.grub2.inst');
    for (const [i, m] of biosHere.entries()) {
      expect(grubStages[i]!.options).toMatchObject({
        platform: m.grub_target, location: layout.partitions.find((x) => x.role === CORE_ROLE[m.disk])!.start,
        prefix: { type: 'partition', partlabel: 'gpt', number: bootNumber, path: '/grub2' }, 'sector-size': ss,
      });
    }
    // copies: the root tree to /, the ESP tree to the ESP, the platform's boot tree to /boot
    const sources = stages.filter((s) => s.type === 'org.osbuild.copy').map((s) => (s.inputs!.tree as { references: string[] }).references[0]);
    expect(sources).toEqual(fsParts.map((x) => (x.mountpoint === '/' ? 'name:tree' : x.role === 'esp' ? 'name:efi-tree' : 'name:boot-metal')));
  });

  test('efi-tree: EFI/BOOT/<efi_boot_file> of each EFI boot mode (the image given) and the grub.cfg stub', () => {
    const { manifest } = mk({ formats: ['metal'] });
    if (efi.length === 0) {
      expect(manifest.pipelines.map((x) => x.name)).not.toContain('efi-tree');
      return;
    }
    const bins = efiBinaries(p);
    for (const m of efi) expect(copiedFile(manifest, 'efi-tree', `tree:///EFI/BOOT/${m.efi_boot_file}`)).toEqual(bins[m.efi_boot_file!]);
    expect(copiedFile(manifest, 'efi-tree', 'tree:///EFI/BOOT/grub.cfg')?.toString()).toBe(efiStubGrubCfg());
    const to = stagesOf(manifest, 'efi-tree').flatMap((s) => ((s.options as { paths?: { to?: string }[] }).paths ?? []).map((x) => x.to ?? ''));
    expect(to.filter((t) => /\.EFI$/.test(t)).sort()).toEqual(efi.map((m) => `tree:///EFI/BOOT/${m.efi_boot_file}`).sort());
  });

  test('a missing GRUB EFI image is refused, naming its file', () => {
    for (const m of efi) {
      const bins = efiBinaries(p);
      delete bins[m.efi_boot_file!];
      expect(() => mk({ efiBinaries: bins })).toThrow(new RegExp(`no GRUB EFI image given for ${m.efi_boot_file!.replace('.', '\\.')}`));
    }
  });

  test('boot-<platform>: GRUB modules of every GRUB target (without linux autoload); the entry has every console= argument', () => {
    const { manifest } = mk({ formats: ['metal', 'qemu'] });
    const boot = stagesOf(manifest, 'boot-metal');
    const grubDirs = boot.flatMap((s) => ((s.options as { paths?: { from?: string }[] }).paths ?? []).map((x) => x.from ?? '')).filter((f) => f.startsWith(`input://build${GRUB_BOOT_MODULES_DIR}/`));
    const targets = [...new Set(bootModes(p).filter((m) => m.grub_target && m.disk !== 'none').map((m) => m.grub_target!))];
    expect(grubDirs).toEqual(targets.map((t) => `input://build${GRUB_BOOT_MODULES_DIR}/${t}/`));
    for (const platform of ['metal', 'qemu']) {
      const cfgFile = copiedFile(manifest, `boot-${platform}`, 'tree:///grub2/grub.cfg');
      // grub.cfg only where a boot mode boots the disk with GRUB (zipl bakes the entry in at build time)
      expect(cfgFile !== undefined).toBe(grub);
      const cfg = cfgFile?.toString() ?? '';
      const entry = copiedFile(manifest, `boot-${platform}`, 'tree:///loader/entries/day0-6.1.0-28-amd64.conf')!.toString();
      const options = blsOptions(entry);
      for (const d of p.console.devices) expect(options).toContain(consoleKarg(parseConsole(d)));
      for (const a of p.kernel.args) expect(options).toContain(a);
      expect(options).toContain(`ignition.platform.id=${platform}`);
      const uart = parseConsole(p.console.devices.at(-1)!).kind === 'ns16550';
      expect(cfg.includes('serial --unit=')).toBe(grub && uart);
      expect(options.at(-1)).toBe(FIRSTBOOT_TOKEN);
    }
  });

  test('diskKargs: root by label, disk args, every profile arg, the platform, extras', () => {
    const layout = planLayout(p, { sectorSize: 512, diskSizeMib: 4096 });
    expect(diskKargs(p, layout, 'qemu', ['quiet'])).toEqual(['root=LABEL=root', ...p.kernel.disk_args, ...p.kernel.args, 'ignition.platform.id=qemu', 'quiet']);
  });

  test.each(p.disk.sector_sizes)('layout at %i-byte sectors: 1 MiB aligned, in order, root takes the rest', (ss) => {
    const l = planLayout(p, { sectorSize: ss as SectorSize, diskSizeMib: 4096 });
    const perMiB = 1048576 / ss;
    const fixed = p.disk.partitions.reduce((a, x) => a + x.size_mib, 0);
    expect(l.partitions.map((x) => [x.name, x.size / perMiB])).toEqual(p.disk.partitions.map((x) => [x.name, x.size_mib || 4096 - fixed - 2]));
    let prevEnd = l.firstUsable - 1;
    for (const x of l.partitions) {
      expect(x.start % perMiB).toBe(0);
      expect(x.start).toBeGreaterThan(prevEnd);
      prevEnd = x.start + x.size - 1;
    }
    expect(prevEnd).toBeLessThanOrEqual(l.lastUsable);
    expect(l.partitions.map((x) => x.role ?? null)).toEqual(p.disk.partitions.map((x) => x.role ?? null));
  });
});

describe('aarch64 disk plan: UEFI only', () => {
  const a = profileOf('aarch64');
  const all = generateDiskManifest(input({ profile: a, formats: [...DISK_FORMATS] }));
  const text = JSON.stringify(all.manifest);

  test('no BIOS-BOOT partition, no grub2.inst stage, no i386-pc modules', () => {
    for (const f of ['metal', 'metal4k', 'raw-qemu']) {
      const sfdisk = stagesOf(all.manifest, f)[1]!.options as { partitions: { name: string; type: string }[] };
      expect(sfdisk.partitions.map((x) => x.name)).toEqual(['EFI-SYSTEM', 'boot', 'root']);
      expect(sfdisk.partitions.some((x) => x.type === '21686148-6449-6E6F-744E-656564454649')).toBe(false);
    }
    for (const pl of all.manifest.pipelines) expect(pl.stages.map((s) => s.type)).not.toContain('org.osbuild.grub2.inst');
    expect(text).not.toContain('i386-pc');
    expect(text).not.toContain('BIOS-BOOT');
  });

  test('EFI/BOOT/BOOTAA64.EFI in the efi-tree (and no BOOTX64.EFI)', () => {
    expect(copiedFile(all.manifest, 'efi-tree', 'tree:///EFI/BOOT/BOOTAA64.EFI')?.toString()).toBe('MZ fake BOOTAA64.EFI');
    expect(text).not.toContain('BOOTX64');
  });

  test('grub.cfg talks on the firmware console; the kernel on ttyAMA0', () => {
    const cfg = copiedFile(all.manifest, 'boot-metal', 'tree:///grub2/grub.cfg')!.toString();
    expect(cfg).toContain('terminal_input console\nterminal_output console\n');
    expect(cfg).not.toContain('serial');
    const entry = copiedFile(all.manifest, 'boot-metal', 'tree:///loader/entries/day0-6.1.0-28-amd64.conf')!.toString();
    expect(blsOptions(entry)).toContain('console=ttyAMA0,115200n8');
    expect(entry).not.toContain('ttyS0');
  });

  test('the ESP starts at 1 MiB (partition 1), boot is partition 2', () => {
    const l = all.outputs.find((o) => o.format === 'metal')!.layout;
    expect(l.partitions.map((x) => [x.number, x.name, x.offsetBytes / 1048576])).toEqual([[1, 'EFI-SYSTEM', 1], [2, 'boot', 128], [3, 'root', 512]]);
  });

  test('file names carry the arch', () => {
    expect(all.outputs.map((o) => o.fileName)).toEqual(['demo-metal.aarch64.raw', 'demo-metal4k.aarch64.raw', 'demo-qemu.aarch64.qcow2', 'demo-vmware.aarch64.vmdk', 'demo-azure.aarch64.vhd']);
  });
});

describe('x86_64 disk plan: BIOS GRUB on 512-byte disks, EFI on all', () => {
  test('EFI/BOOT/BOOTX64.EFI in the efi-tree', () => {
    const { manifest } = generateDiskManifest(input({ formats: ['metal'] }));
    expect(copiedFile(manifest, 'efi-tree', 'tree:///EFI/BOOT/BOOTX64.EFI')?.toString()).toBe('MZ fake BOOTX64.EFI');
  });

  test('metal4k (4096-byte sectors) gets no BIOS GRUB: the bios mode boots 512-byte disks only', () => {
    const { manifest } = generateDiskManifest(input({ formats: ['metal', 'metal4k'] }));
    expect(stagesOf(manifest, 'metal').map((s) => s.type)).toContain('org.osbuild.grub2.inst');
    expect(stagesOf(manifest, 'metal4k').map((s) => s.type)).not.toContain('org.osbuild.grub2.inst');
    // the BIOS-BOOT partition stays in the layout (same partition table as metal)
    expect((stagesOf(manifest, 'metal4k')[1]!.options as { partitions: { name: string }[] }).partitions[0]!.name).toBe('BIOS-BOOT');
  });
});

describe('s390x disk plan: a zipl boot record, no GRUB', () => {
  const z = profileOf('s390x');
  const KV = '6.1.0-28-s390x';
  const kernel = { version: KV, vmlinuz: `/usr/lib/modules/${KV}/vmlinuz`, initramfs: `/usr/lib/modules/${KV}/initramfs.img` };
  const all = generateDiskManifest(input({ profile: z, formats: supportedDiskFormats(z), kernel }));
  const disks = all.outputs.map((o) => (FORMATS[o.format].convert ? `raw-${o.format}` : o.format));

  test('the zipl mode boots the disk formats of its sector size', () => {
    expect(bootModes(z).map((m) => m.disk)).toEqual(['zipl']);
    expect(supportedDiskFormats(z)).toEqual(['metal', 'qemu', 'vmware', 'azure']);
  });

  test('every disk gets one zipl.inst, last: the kernel, the boot partition\'s start as location, the whole disk and boot mounted at /boot', () => {
    for (const [i, name] of disks.entries()) {
      const stages = stagesOf(all.manifest, name);
      const zs = stages.filter((s) => s.type === 'org.osbuild.zipl.inst');
      expect(zs).toHaveLength(1);
      expect(stages.at(-1)).toBe(zs[0]);
      const layout = all.outputs[i]!.layout;
      const boot = layout.partitions.find((x) => x.mountpoint === '/boot')!;
      const rawFile = (stages[0]!.options as { filename: string }).filename;
      expect(zs[0]).toEqual({
        type: 'org.osbuild.zipl.inst',
        devices: {
          disk: { type: 'org.osbuild.loopback', options: { filename: rawFile, 'sector-size': 512 } },
          'dev-boot': { type: 'org.osbuild.loopback', options: { filename: rawFile, start: boot.start, size: boot.size, lock: true, 'sector-size': 512 } },
        },
        mounts: [{ name: 'boot', type: 'org.osbuild.ext4', source: 'dev-boot', target: '/boot' }],
        options: { kernel: KV, location: boot.start, blocksize: 512 },
      });
      expect(boot.start).toBe(2048);
    }
  });

  test('the manifest validates against the osbuild schemas (zipl.inst included); a zipl.inst without location does not', () => {
    assertValidManifest(all.manifest);
    const broken = structuredClone(all.manifest);
    const st = stagesOf(broken, 'metal').at(-1)!;
    delete (st.options as Record<string, unknown>).location;
    delete st.devices!.disk;
    st.mounts = [];
    const msgs = validateManifest(broken).issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n');
    expect(msgs).toContain('location');
    expect(msgs).toContain('disk');
    expect(msgs).toMatch(/mounts: must NOT have fewer than 1 items/);
  });

  test('no GRUB: no grub2.inst stage, no GRUB module directories, no grub.cfg; the BLS entry carries the first-boot variable', () => {
    for (const pl of all.manifest.pipelines) expect(pl.stages.map((s) => s.type)).not.toContain('org.osbuild.grub2.inst');
    const text = JSON.stringify(all.manifest);
    expect(text).not.toContain(GRUB_BOOT_MODULES_DIR);
    expect(text).not.toContain('grub2');
    expect(all.manifest.pipelines.map((x) => x.name)).not.toContain('efi-tree');
    for (const platform of ['metal', 'qemu']) {
      expect(copiedFile(all.manifest, `boot-${platform}`, 'tree:///grub2/grub.cfg')).toBeUndefined();
      const entry = copiedFile(all.manifest, `boot-${platform}`, `tree:///loader/entries/day0-${KV}.conf`)!.toString();
      expect(entry).toContain(`version ${KV}\n`);
      expect(blsOptions(entry)).toEqual(['root=LABEL=root', 'rw', 'console=ttysclp0', `ignition.platform.id=${platform}`, FIRSTBOOT_TOKEN]);
    }
    // the first-boot flag that zipl.inst turns into ignition.firstboot
    expect(stagesOf(all.manifest, 'boot-metal').map((s) => s.type)).toContain('org.osbuild.ignition');
  });

  test('layout: GPT, boot (ext4, 384 MiB) at 1 MiB, root (xfs) after it; file names carry the arch', () => {
    const l = all.outputs[0]!.layout;
    expect(l.partitions.map((x) => [x.number, x.name, x.filesystem, x.offsetBytes / 1048576])).toEqual([[1, 'boot', 'ext4', 1], [2, 'root', 'xfs', 385]]);
    expect(all.outputs.map((o) => o.fileName)).toEqual(['demo-metal.s390x.raw', 'demo-qemu.s390x.qcow2', 'demo-vmware.s390x.vmdk', 'demo-azure.s390x.vhd']);
  });
});
