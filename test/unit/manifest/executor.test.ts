// day0's manifest executor without the builder: a recording executor shows which tools run, in which order,
// with which arguments — filesystems deferred and built once per run, disks written at the right offsets.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Executor, RunResult, RunSpec } from '../../../src/executor/types.js';
import { FORMATS, generateDiskManifest, supportedDiskFormats, type DiskPlanInput } from '../../../src/manifest/disk.js';
import { bootModes } from '../../../src/profiles/boot.js';
import type { Manifest } from '../../../src/manifest/types.js';
import type { Profile } from '../../../src/profiles/schema.js';
import { locate } from '../../../src/stages/copy.js';
import { coreModules, grubPrefix } from '../../../src/stages/grub2-inst.js';
import { mkfsExt4Argv } from '../../../src/stages/mkfs-ext4.js';
import { mkfsFatArgv } from '../../../src/stages/mkfs-fat.js';
import { mkfsXfsArgv } from '../../../src/stages/mkfs-xfs.js';
import { qemuImgArgv } from '../../../src/stages/qemu.js';
import { checkOsbuildEngine, osbuildNeeds, pipelinesFor, runManifest, runManifestWithOsbuild } from '../../../src/stages/run-manifest.js';
import { sfdiskScript } from '../../../src/stages/sfdisk.js';
import type { StageEnv } from '../../../src/stages/types.js';
import { EACH_PROFILE, profile as profileOf } from '../../helpers/profiles.js';

const profile = profileOf('x86_64');
const efiBinaries = (p: Profile) => Object.fromEntries(bootModes(p).filter((m) => m.disk === 'grub2-efi').map((m) => [m.efi_boot_file!, Buffer.from('EFI')]));
const plan = (over: Partial<DiskPlanInput> = {}) => generateDiskManifest({
  profile,
  name: 'demo',
  formats: ['metal', 'qemu'],
  ignition: Buffer.from('{}'),
  kernel: { version: '6.1', vmlinuz: '/usr/lib/modules/6.1/vmlinuz', initramfs: '/usr/lib/modules/6.1/initramfs.img' },
  image: { id: `sha256:${'a'.repeat(64)}`, name: 'r/demo', digest: `sha256:${'b'.repeat(64)}` },
  builder: { id: `sha256:${'c'.repeat(64)}`, name: 'builder' },
  efiBinaries: efiBinaries(over.profile ?? profile),
  seed: 'x',
  ...over,
});

const b64 = (t: string) => Buffer.from(t).toString('base64');
const ZIPL_LISTING = `entry ${b64('day0-6.1.conf')} ${b64('version 6.1\nlinux /vmlinuz-6.1\ninitrd /initramfs-6.1.img\noptions rw $ignition_firstboot\n')}\nfirstboot 1\n`;

class Recorder implements Executor {
  readonly mode = 'host' as const;
  calls: RunSpec[] = [];
  async run(spec: RunSpec): Promise<RunResult> {
    this.calls.push(spec);
    // zipl.inst reads the boot partition's BLS entries first (src/stages/zipl-inst.ts: parseEntryListing).
    const stdout = spec.label?.includes('read the boot loader entries') ? ZIPL_LISTING : '';
    return { exitCode: 0, stdout, stderr: '', killed: false, timedOut: false };
  }
  describe() {
    return 'recorder';
  }
  /** The tools run, in order; queued scripts (one builder start for several steps) are split into their steps. */
  tools(): string[] {
    return this.calls.flatMap((c) => {
      const a = c.argv;
      const steps = a[0] === 'sh' && a[1] === '-c' && (a[2] ?? '').includes('day0-step')
        ? (a[2] ?? '').split(/printf 'day0-step %d\\n' \d+ >&2\n/).slice(1)
        : [a.join(' ')];
      return steps.map(classify);
    });
  }

  /** Text of every step (argv joined), for content checks. */
  text(): string {
    return this.calls.map((c) => c.argv.join(' ')).join('\n');
  }
}

function classify(step: string): string {
  if (step.includes('loader/entries/*.conf')) return 'zipl-read';
  if (step.includes('--targettype')) return 'zipl';
  if (step.includes('SEEK_DATA')) return 'sparse-write';
  if (step.includes('boot.img')) return 'grub-patch';
  for (const t of ['mkfs.xfs', 'mkfs.ext4', 'mkfs.fat', 'grub-mkimage', 'sfdisk', 'qemu-img']) if (step.includes(t)) return t;
  return step.trim().split(/\s/)[0]!;
}

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'day0-exec-test-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('runManifest', () => {
  test('metal + qemu: filesystems built once and reused, written after mkfs/copy, bootloader last', async () => {
    const { manifest } = plan();
    const rec = new Recorder();
    const res = await runManifest(manifest, {
      exec: rec,
      workDir: work,
      containers: { [`sha256:${'a'.repeat(64)}`]: { dir: '/srv/rootfs' }, [`sha256:${'c'.repeat(64)}`]: { builder: true } },
      validate: true,
    });
    expect(res.trees.tree).toBe('/srv/rootfs');
    expect(res.trees.build).toBe('/');
    // Inline source files are 0644 as in osbuild's store (a copy keeps it: grub.cfg 0644), inside a 0700 dir
    // (issue 14 #9); the metal config gets its own chmod stage to 0600.
    expect((await stat(join(work, 'sources'))).mode & 0o777).toBe(0o700);
    const srcModes = await Promise.all((await readdir(join(work, 'sources'))).map(async (f) => (await stat(join(work, 'sources', f))).mode & 0o777));
    expect(srcModes.length).toBeGreaterThan(0);
    expect(new Set(srcModes)).toEqual(new Set([0o644]));
    const tools = rec.tools();
    // Each filesystem image is made once (the qemu disk reuses the metal disk's ESP and root, boot differs).
    expect(tools.filter((t) => t === 'mkfs.xfs')).toHaveLength(1);
    expect(tools.filter((t) => t === 'mkfs.fat')).toHaveLength(1);
    expect(tools.filter((t) => t === 'mkfs.ext4')).toHaveLength(2);
    expect(tools.filter((t) => t === 'sparse-write')).toHaveLength(6);
    expect(tools.at(-1)).toBe('qemu-img');
    // Per disk: truncate, sfdisk, three filesystems written, then grub.
    const metal = tools.slice(tools.indexOf('truncate'), tools.indexOf('grub-patch') + 1);
    expect(metal.filter((t) => !t.startsWith('mkfs.'))).toEqual(['truncate', 'sfdisk', 'sparse-write', 'sparse-write', 'sparse-write', 'grub-mkimage', 'grub-patch']);
    // The root filesystem is filled from the image tree, mounted read-only into the builder.
    const xfs = rec.calls.find((c) => c.argv.join(' ').includes('mkfs.xfs'))!;
    expect(xfs.argv.join(' ')).toContain('/srv/rootfs');
    expect(xfs.binds).toContainEqual({ path: '/srv/rootfs', readonly: true });
    // Offsets: the root filesystem goes to byte 1050624 × 512.
    expect(rec.text()).toContain(` ${1050624 * 512}`);
    // Fewer builder starts than tool runs: tree stages and build+write steps are batched.
    expect(rec.calls.length).toBeLessThan(tools.length);
    // The raw disk of the qemu format is converted, not the metal one.
    const conv = rec.calls.at(-1)!.argv;
    expect(conv.slice(0, 6)).toEqual(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2']);
    expect(conv.at(-2)).toMatch(/trees\/raw-qemu\/disk\.raw$/);
    expect(conv.at(-1)).toMatch(/trees\/qemu\/demo-qemu\.x86_64\.qcow2$/);
  });

  test('exports pull in only what they need', () => {
    const { manifest } = plan({ formats: ['metal', 'qemu', 'vmware'] });
    expect(pipelinesFor(manifest, ['metal']).map((p) => p.name)).toEqual(['build', 'tree', 'efi-tree', 'boot-metal', 'metal']);
    expect(pipelinesFor(manifest, ['vmware']).map((p) => p.name)).toEqual(['build', 'tree', 'efi-tree', 'boot-vmware', 'raw-vmware', 'vmware']);
  });

  test('an unknown container, stage or input type is a clear error', async () => {
    const { manifest } = plan({ formats: ['metal'] });
    const rec = new Recorder();
    await expect(runManifest(manifest, { exec: rec, workDir: work, containers: {}, validate: false })).rejects.toThrow(/deploys container sha256:c+, which day0 was not given/);
    const m2 = structuredClone(manifest);
    m2.pipelines[2]!.stages.push({ type: 'org.osbuild.rpm' });
    await expect(runManifest(m2, { exec: rec, workDir: work, containers: { [`sha256:${'a'.repeat(64)}`]: { dir: '/r' }, [`sha256:${'c'.repeat(64)}`]: { builder: true } }, validate: false }))
      .rejects.toThrow(/org\.osbuild\.rpm .* is not implemented by day0's executor/);
  });
});

describe.each(EACH_PROFILE)('runManifest over the %s plan', (arch, p) => {
  const hasBios = bootModes(p).some((m) => m.disk === 'grub2-bios');
  const hasPrep = bootModes(p).some((m) => m.disk === 'grub2-prep');
  const hasEsp = p.disk.partitions.some((x) => x.role === 'esp');
  const formats = (['metal', 'metal4k', 'qemu'] as const).filter((f) => supportedDiskFormats(p).includes(f));

  test(`${formats.join(' + ')} run through: filesystems once per sector size, core-image GRUB only where a mode needs it`, async () => {
    const { manifest } = plan({ profile: p, formats: [...formats] });
    const rec = new Recorder();
    await runManifest(manifest, {
      exec: rec,
      workDir: work,
      containers: { [`sha256:${'a'.repeat(64)}`]: { dir: '/srv/rootfs' }, [`sha256:${'c'.repeat(64)}`]: { builder: true } },
      validate: true,
    });
    const tools = rec.tools();
    const perSize = new Set(formats.map((f) => FORMATS[f].sectorSize)).size;
    expect(tools.filter((t) => t === 'mkfs.xfs')).toHaveLength(perSize);
    expect(tools.filter((t) => t === 'mkfs.fat')).toHaveLength(hasEsp ? perSize : 0);
    expect(tools.filter((t) => t === 'sfdisk')).toHaveLength(formats.length);
    // core-image GRUB (grub-mkimage + write) only on the 512-byte disks of a platform with a BIOS or PReP mode
    const coreDisks = hasBios || hasPrep ? 2 : 0; // metal and the qemu disk; never metal4k
    expect(tools.filter((t) => t === 'grub-patch')).toHaveLength(coreDisks);
    const coreTargets = [...rec.text().matchAll(/grub-mkimage .*?--format '?([a-z0-9_-]+)/g)].map((x) => x[1]);
    expect(coreTargets.includes('i386-pc')).toBe(hasBios);
    expect(coreTargets.includes('powerpc-ieee1275')).toBe(hasPrep);
    // zipl (IBM Z): the entries read, then the boot record written, once per disk
    const hasZipl = bootModes(p).some((m) => m.disk === 'zipl');
    expect(tools.filter((t) => t === 'zipl')).toHaveLength(hasZipl ? formats.length : 0);
    expect(tools.filter((t) => t === 'zipl-read')).toHaveLength(hasZipl ? formats.length : 0);
    expect(tools.at(-1)).toBe('qemu-img');
    expect(rec.calls.at(-1)!.argv.at(-1)).toMatch(new RegExp(`trees/qemu/demo-qemu\\.${arch}\\.qcow2$`));
  });
});

test('--engine osbuild: missing tools in the builder and images osbuild cannot fetch are refused up front (issue 14 #8)', async () => {
  const calls: string[][] = [];
  const noOsbuild: Executor = {
    mode: 'host', describe: () => 'builder X',
    run: async (spec) => { calls.push(spec.argv); return { exitCode: 0, stdout: 'osbuild\npodman\n', stderr: '', killed: false, timedOut: false }; },
  };
  await expect(checkOsbuildEngine(noOsbuild, 'localhost:5000/x:1')).rejects.toThrow('--engine osbuild: builder X has no osbuild, podman');
  expect(calls[0]!.slice(-3)).toEqual(['osbuild', 'podman', 'skopeo']);
  await expect(checkOsbuildEngine(noOsbuild, 'oci-archive:/tmp/x.tar')).rejects.toThrow(/cannot take oci-archive images/);
  const all: Executor = { ...noOsbuild, run: async () => ({ exitCode: 0, stdout: '', stderr: '', killed: false, timedOut: false }) };
  await expect(checkOsbuildEngine(all, 'containers-storage:localhost/x:1')).resolves.toBeUndefined();
});

test('--engine osbuild: store and output dirs exist, registry sources get the network, storage sources the graph root, failures show osbuild\'s output (issue 14 #8)', async () => {
  const work = await mkdtemp(join(tmpdir(), 'day0-osbuild-'));
  try {
    const specs: RunSpec[] = [];
    const exec: Executor = {
      mode: 'host', describe: () => 'builder X',
      run: async (spec) => { specs.push(spec); return { exitCode: 1, stdout: '', stderr: 'stage org.osbuild.copy failed\nTraceback: x', killed: false, timedOut: false }; },
    };
    const manifest = {
      version: '2', pipelines: [],
      sources: { 'org.osbuild.skopeo': { items: {
        [`sha256:${'a'.repeat(64)}`]: { image: { name: 'localhost:5000/x', digest: `sha256:${'b'.repeat(64)}`, 'tls-verify': false } },
        [`sha256:${'c'.repeat(64)}`]: { image: { name: 'localhost/day0/builder:1', digest: `sha256:${'d'.repeat(64)}`, 'containers-transport': 'containers-storage', 'storage-location': '/srv/storage' } },
      } } },
    } as unknown as Manifest;
    expect(osbuildNeeds(manifest)).toEqual({ network: true, storage: ['/srv/storage'] });
    const store = join(work, 'store');
    const out = join(work, 'out');
    await expect(runManifestWithOsbuild(exec, manifest, join(work, 'm.json'), out, store, ['metal'])).rejects.toThrow(/osbuild exited 1; its last output:\n {4}stage org\.osbuild\.copy failed\n {4}Traceback: x/);
    expect(existsSync(store) && existsSync(out)).toBe(true);
    expect(specs[0]!.network).toBe('host');
    expect(specs[0]!.binds!.map((b) => b.path)).toContain('/srv/storage');
    expect(osbuildNeeds({ version: '2', pipelines: [], sources: {} } as unknown as Manifest)).toEqual({ network: false, storage: [] });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

describe('stage command lines', () => {
  test('sfdisk script', () => {
    expect(sfdiskScript({ label: 'gpt', uuid: 'U', partitions: [{ start: 2048, size: 2048, type: 'T', name: 'BIOS-BOOT', uuid: 'P' }] }))
      .toBe('label: gpt\nlabel-id: U\n\nstart=2048, size=2048, type=T, uuid=P, name="BIOS-BOOT"\n');
  });

  test('mkfs', () => {
    expect(mkfsExt4Argv({ options: { uuid: 'U', label: 'boot', metadata_csum_seed: false, orphan_file: false }, content: '/c', sectorSize: 512 }))
      .toEqual(['mkfs.ext4', '-q', '-F', '-U', 'U', '-L', 'boot', '-O', '^metadata_csum_seed,^orphan_file', '-d', '/c']);
    expect(mkfsExt4Argv({ options: {}, sectorSize: 4096 })).toContain('4096');
    expect(mkfsXfsArgv({ options: { uuid: 'U', label: 'root' }, sectorSize: 4096 })).toEqual(['mkfs.xfs', '-q', '-f', '-m', 'uuid=U', '-L', 'root', '-s', 'size=4096']);
    expect(mkfsFatArgv({ options: { volid: 'ABCD1234', label: 'EFI-SYSTEM' }, sectorSize: 4096 })).toEqual(['mkfs.fat', '-S', '4096', '-i', 'ABCD1234', '-n', 'EFI-SYSTEM']);
  });

  test('qemu-img', () => {
    expect(qemuImgArgv('a', 'b', { type: 'vpc', subformat: 'fixed', force_size: true })).toEqual(['qemu-img', 'convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', 'a', 'b']);
    expect(qemuImgArgv('a', 'b', { type: 'qcow2' })).toContain('-c');
    expect(qemuImgArgv('a', 'b', { type: 'qcow2', compression: false, compat: '1.1' })).toEqual(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=1.1', 'a', 'b']);
  });

  test('grub2.inst core image', () => {
    const o = { filename: 'd', platform: 'i386-pc', core: { type: 'mkimage' as const, partlabel: 'gpt' as const, filesystem: 'ext4' as const }, prefix: { type: 'partition' as const, partlabel: 'gpt' as const, number: 2, path: '/grub2' } };
    expect(coreModules(o)).toEqual(['biosdisk', 'part_gpt', 'ext2']);
    expect(grubPrefix(o.prefix)).toBe('(,gpt3)/grub2');
  });

  test('copy locations follow osbuild (trailing slash = content)', () => {
    const env = { tree: '/w/t', mounts: [{ name: 'root' }], inputs: { tree: { kind: 'tree', path: '/r' }, build: { kind: 'tree', path: '/', builderRoot: true }, files: { kind: 'files', files: { 'sha256:ab': '/w/s/ab' } } } } as unknown as StageEnv;
    expect(locate('input://tree/', env)).toEqual({ kind: 'path', path: '/r/.' });
    expect(locate('input://tree/usr/lib/x', env)).toEqual({ kind: 'path', path: '/r/usr/lib/x' });
    expect(locate('input://build/usr/lib/grub/i386-pc/', env)).toEqual({ kind: 'path', path: '/usr/lib/grub/i386-pc/.' });
    expect(locate('input://files/sha256:ab', env)).toEqual({ kind: 'path', path: '/w/s/ab' });
    expect(locate('tree:///grub2/grub.cfg', env)).toEqual({ kind: 'path', path: '/w/t/grub2/grub.cfg' });
    expect(locate('mount://root/', env)).toEqual({ kind: 'mount', mount: 'root', path: '/.' });
    // Like Python's normpath in osbuild: ".." cannot climb above the root.
    expect(locate('tree:///../x', env)).toEqual({ kind: 'path', path: '/w/t/x' });
  });
});
