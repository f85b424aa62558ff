// org.osbuild.zipl.inst (IBM Z boot record) in day0's executor, without root: the BLS entry → zipl command line
// resolution (first-boot variable, kernel_opts_append), zipl's argv as osbuild's stage builds it, the builder
// scripts (run against stub mount/losetup/zipl programs: every mount and loop device released on every exit
// path), and the stage's place in a run (the filesystems written into the disk before it mounts boot).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Executor, RunResult, RunSpec } from '../../src/executor/types.js';
import { generateDiskManifest } from '../../src/manifest/disk.js';
import { blsEntryText } from '../../src/manifest/grub.js';
import type { Stage } from '../../src/manifest/types.js';
import { bootModes } from '../../src/profiles/boot.js';
import { FilesystemJobs } from '../../src/stages/filesystems.js';
import { deferrable, runManifest, STAGES } from '../../src/stages/run-manifest.js';
import type { ResolvedMount, StageEnv } from '../../src/stages/types.js';
import {
  FIRSTBOOT_KARG, mountPlan, parseBlsEntry, readEntriesScript, parseEntryListing, QEMU_USER_S390X, resolveZiplBoot, run, S390X_SYSROOT, ZIPL_IN_SYSROOT,
  ziplArgv, ziplRunLines, ziplScript,
} from '../../src/stages/zipl-inst.js';
import { EACH_PROFILE } from '../helpers/profiles.js';

const KV = '6.1.0-28-s390x';
const entry = (over: Partial<Parameters<typeof blsEntryText>[0]> = {}) => blsEntryText({
  title: `Demo (${KV})`, version: KV, linux: `/vmlinuz-${KV}`, initrd: [`/initramfs-${KV}.img`],
  options: ['root=LABEL=root', 'rw', 'console=ttysclp0', 'ignition.platform.id=metal'], ...over,
});
const b64 = (s: string) => Buffer.from(s).toString('base64');
const listing = (entries: [string, string][], firstboot: boolean) => `${entries.map(([n, t]) => `entry ${b64(n)} ${b64(t)}`).join('\n')}\nfirstboot ${firstboot ? 1 : 0}\n`;

describe('BLS entry → zipl boot', () => {
  test('parseBlsEntry: keys, several options/initrd lines, comments and blank lines', () => {
    expect(parseBlsEntry('# c\ntitle T x\nversion 1\n\nlinux /k\ninitrd /a /b\ninitrd /c\noptions a=1  b\noptions c\nmachine-id x\n')).toEqual({
      version: '1', linux: '/k', initrd: ['/a', '/b', '/c'], options: ['a=1', 'b', 'c'],
    });
  });

  test('day0\'s entry: $ignition_firstboot becomes ignition.firstboot while the flag exists, else it is dropped', () => {
    const text = entry();
    expect(text).toContain('$ignition_firstboot');
    const on = resolveZiplBoot([{ name: `day0-${KV}.conf`, text }], { kernel: KV, firstboot: true });
    expect(on).toEqual({ entry: `day0-${KV}.conf`, linux: `/vmlinuz-${KV}`, initrd: `/initramfs-${KV}.img`, parameters: ['root=LABEL=root', 'rw', 'console=ttysclp0', 'ignition.platform.id=metal', FIRSTBOOT_KARG] });
    const off = resolveZiplBoot([{ name: 'e.conf', text }], { kernel: KV, firstboot: false });
    expect(off.parameters).toEqual(['root=LABEL=root', 'rw', 'console=ttysclp0', 'ignition.platform.id=metal']);
    expect(off.parameters.join(' ')).not.toContain('$');
  });

  test('the ${ignition_firstboot} spelling, wherever it stands; kernel_opts_append goes last', () => {
    const text = 'version 1\nlinux /k\ninitrd /i\noptions a ${ignition_firstboot} b\n';
    expect(resolveZiplBoot([{ name: 'x.conf', text }], { kernel: '1', firstboot: true, kernel_opts_append: ['mitigations=off', 'quiet'] }).parameters)
      .toEqual(['a', 'ignition.firstboot', 'b', 'mitigations=off', 'quiet']);
    expect(resolveZiplBoot([{ name: 'x.conf', text }], { kernel: '1', firstboot: false, kernel_opts_append: ['q'] }).parameters).toEqual(['a', 'b', 'q']);
  });

  test('the entry whose version is the kernel, not the first one; first by file name among equals', () => {
    const other = entry({ version: '5.10.0-1-s390x', linux: '/vmlinuz-old', initrd: ['/initrd-old'] });
    const boot = resolveZiplBoot([{ name: 'a.conf', text: other }, { name: 'c.conf', text: entry({ options: ['x'] }) }, { name: 'b.conf', text: entry() }], { kernel: KV, firstboot: false });
    expect(boot.entry).toBe('b.conf');
    expect(boot.linux).toBe(`/vmlinuz-${KV}`);
  });

  test('clear errors: no entry for the kernel (listing what there is), no linux, not exactly one initrd, paths leaving boot', () => {
    expect(() => resolveZiplBoot([], { kernel: KV, firstboot: false })).toThrow(/no boot loader entry for kernel 6\.1\.0-28-s390x .*\(none found\)/);
    expect(() => resolveZiplBoot([{ name: 'o.conf', text: 'version 5\n' }], { kernel: KV, firstboot: false })).toThrow(/there are: o\.conf \(version 5\)/);
    expect(() => resolveZiplBoot([{ name: 'o.conf', text: `version ${KV}\ninitrd /i\n` }], { kernel: KV, firstboot: false })).toThrow(/no linux line/);
    expect(() => resolveZiplBoot([{ name: 'o.conf', text: `version ${KV}\nlinux /k\n` }], { kernel: KV, firstboot: false })).toThrow(/no initrd; zipl loads exactly one/);
    expect(() => resolveZiplBoot([{ name: 'o.conf', text: `version ${KV}\nlinux /k\ninitrd /a /b\n` }], { kernel: KV, firstboot: false })).toThrow(/2 initrds/);
    expect(() => resolveZiplBoot([{ name: 'o.conf', text: `version ${KV}\nlinux /../../etc/k\ninitrd /i\n` }], { kernel: KV, firstboot: false })).toThrow(/outside the boot partition/);
  });

  test('zipl\'s argv, as osbuild\'s stage passes it', () => {
    const boot = resolveZiplBoot([{ name: 'e.conf', text: entry() }], { kernel: KV, firstboot: true });
    expect(ziplArgv(boot, { bootDir: '/w/root/boot', targetbase: '/dev/loop7', blocksize: 512, location: 2048 })).toEqual([
      '--verbose',
      '--target', '/w/root/boot',
      '--image', `/w/root/boot/vmlinuz-${KV}`,
      '--ramdisk', `/w/root/boot/initramfs-${KV}.img`,
      '--parameters', 'root=LABEL=root rw console=ttysclp0 ignition.platform.id=metal ignition.firstboot',
      '--targetbase', '/dev/loop7',
      '--targettype', 'SCSI',
      '--targetblocksize', '512',
      '--targetoffset', '2048',
    ]);
  });

  test('the read run\'s listing: names and texts survive any byte; no firstboot line = nothing was read', () => {
    const text = 'version 1\noptions a "b c"\n';
    expect(parseEntryListing(listing([['day0 x.conf', text]], true))).toEqual({ entries: [{ name: 'day0 x.conf', text }], firstboot: true });
    expect(parseEntryListing('firstboot 0\n')).toEqual({ entries: [], firstboot: false });
    expect(() => parseEntryListing('')).toThrow(/printed nothing/);
  });
});

const device = (start: number, size?: number) => ({ name: 'd', file: '/w/trees/metal/disk.raw', start, ...(size !== undefined ? { size } : {}), sectorSize: 512 as const });
const mounts: ResolvedMount[] = [{ name: 'boot', type: 'org.osbuild.ext4', device: device(2048, 786432), target: '/boot' }];

describe('builder scripts', () => {
  test('mountPlan: byte offsets and limits, parents first; unknown mount types refused', () => {
    const root: ResolvedMount = { name: 'root', type: 'org.osbuild.xfs', device: device(788480), target: '/' };
    expect(mountPlan([mounts[0]!, root], '/w/r')).toEqual([
      { fstype: 'xfs', file: '/w/trees/metal/disk.raw', offset: 788480 * 512, dir: '/w/r' },
      { fstype: 'ext4', file: '/w/trees/metal/disk.raw', offset: 2048 * 512, sizelimit: 786432 * 512, dir: '/w/r/boot' },
    ]);
    expect(() => mountPlan([{ ...root, type: 'org.osbuild.ntfs' }], '/w/r')).toThrow(/mount type org\.osbuild\.ntfs is not supported/);
  });

  test('zipl: native on an s390x builder that has it, else the sysroot\'s under qemu-user; the disk loop as targetbase', () => {
    const lines = ziplRunLines(['--targetbase', '@DISK_LOOP@', '--parameters', 'a b']).join('\n');
    expect(lines).toContain('if [ "$(uname -m)" = s390x ] && command -v zipl');
    expect(lines).toContain(`set -- ${QEMU_USER_S390X} -L ${S390X_SYSROOT} ${ZIPL_IN_SYSROOT}`);
    expect(lines).toContain(`"$@" --targetbase "$D" --parameters 'a b'`);
    expect(ZIPL_IN_SYSROOT).toBe('/usr/lib/day0/sysroot/s390x/sbin/zipl');
  });

  // The scripts run for real, with stub programs on PATH that log their calls.
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'day0-zipl-'));
    const stub = (name: string, body: string, log = true) => {
      writeFileSync(join(dir, name), `#!/bin/sh\n${log ? `echo "${name} $*" >> ${dir}/log\n` : ''}${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    stub('mount', 'exit 0');
    stub('umount', 'exit 0');
    stub('losetup', `[ "$1" != --find ] || echo ${dir}/loop9`);
    writeFileSync(join(dir, 'loop9'), '');
    stub('python3', `echo "python3 $1 fd3=$(readlink /proc/self/fd/3)" >> ${dir}/log`, false);
    stub('sync', 'exit 0');
    stub('uname', 'echo "${FAKE_ARCH:-x86_64}"', false);
    stub('zipl', 'exit "${FAKE_ZIPL_RC:-0}"');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const sh = (script: string, env: Record<string, string> = {}) => {
    const r = spawnSync('sh', ['-c', script], { env: { ...process.env, ...env, PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    let log = '';
    try { log = readFileSync(join(dir, 'log'), 'utf8'); } catch { /* no calls */ }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, log: log.trim().split('\n').map((l) => l.trim()) };
  };

  test('the write run: boot mounted read-write, the whole disk on a loop device, zipl, then everything released', () => {
    const root = join(dir, 'root');
    const plan = mountPlan(mounts, root);
    const body = ziplRunLines(['--target', `${root}/boot`, '--targetbase', '@DISK_LOOP@']);
    const r = sh(ziplScript(plan, { readonly: false, disk: { file: '/w/disk raw', offset: 0, sectorSize: 512 }, body }), { FAKE_ARCH: 's390x' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.log).toEqual([
      `mount -t ext4 -o loop,offset=1048576,sizelimit=402653184 /w/trees/metal/disk.raw ${root}/boot`,
      'losetup --find --show /w/disk raw',
      // the autoclear flag is set on the loop device, held open on fd 3
      `python3 -c fd3=${dir}/loop9`,
      `zipl --target ${root}/boot --targetbase ${dir}/loop9`,
      'sync',
      `umount ${root}/boot`,
      `losetup -d ${dir}/loop9`,
    ]);
  });

  test('a failing zipl, and a builder without any zipl, still release the mount and the loop device', () => {
    const plan = mountPlan(mounts, join(dir, 'root'));
    const script = ziplScript(plan, { readonly: false, disk: { file: '/w/disk.raw', offset: 0, sectorSize: 4096 }, body: ziplRunLines(['--targetbase', '@DISK_LOOP@']) });
    const failed = sh(script, { FAKE_ARCH: 's390x', FAKE_ZIPL_RC: '7' });
    expect(failed.status).toBe(7);
    expect(failed.log).toContain('losetup --find --show --sector-size 4096 /w/disk.raw');
    expect(failed.log.slice(-2)).toEqual([`umount ${dir}/root/boot`, `losetup -d ${dir}/loop9`]);
    rmSync(join(dir, 'log'));
    // Not s390x, and this host has no s390x sysroot: a clear message, and the cleanup ran.
    const none = sh(script, { FAKE_ARCH: 'x86_64' });
    expect(none.status).toBe(3);
    expect(none.stderr).toContain(`no zipl: neither a native s390x zipl nor ${ZIPL_IN_SYSROOT}`);
    expect(none.log.slice(-2)).toEqual([`umount ${dir}/root/boot`, `losetup -d ${dir}/loop9`]);
  });

  test('the read run: boot mounted read-only, the entries and the flag listed, boot unmounted', () => {
    const root = join(dir, 'root');
    const plan = mountPlan(mounts, root);
    // The stub mount does nothing: give the "mounted" boot dir its content directly.
    const boot = join(root, 'boot');
    spawnSync('mkdir', ['-p', join(boot, 'loader', 'entries')]);
    writeFileSync(join(boot, 'loader', 'entries', `day0-${KV}.conf`), entry());
    writeFileSync(join(boot, 'loader', 'entries', 'README'), 'not an entry');
    writeFileSync(join(boot, 'ignition.firstboot'), '');
    const read = readEntriesScript(plan, boot);
    const r = sh(read);
    expect(r.status).toBe(0);
    expect(r.log).toEqual([`mount -t ext4 -o ro,loop,offset=1048576,sizelimit=402653184 /w/trees/metal/disk.raw ${boot}`, `umount ${boot}`]);
    expect(parseEntryListing(r.stdout)).toEqual({ entries: [{ name: `day0-${KV}.conf`, text: entry() }], firstboot: true });
  });
});

function fakeEnv(calls: RunSpec[], stdout = listing([[`day0-${KV}.conf`, entry()]], true)): StageEnv {
  const exec: Executor = {
    mode: 'host',
    describe: () => 'fake',
    run: async (spec: RunSpec): Promise<RunResult> => {
      calls.push(spec);
      return { exitCode: 0, stdout: spec.label?.includes('read') ? stdout : '', stderr: '', killed: false, timedOut: false };
    },
  };
  return {
    exec, workDir: '/w', pipeline: 'metal', tree: '/w/trees/metal', inputs: {}, mounts,
    devices: { disk: device(0), 'dev-boot': device(2048, 786432) },
    fs: new FilesystemJobs(new Map()), binds: [{ path: '/w' }], log: () => undefined,
  };
}

const STAGE: Stage = {
  type: 'org.osbuild.zipl.inst',
  options: { kernel: KV, location: 2048, blocksize: 512, kernel_opts_append: ['mitigations=off'] },
  devices: {}, mounts: [{ name: 'boot', type: 'org.osbuild.ext4', source: 'dev-boot', target: '/boot' }],
};

describe('the stage', () => {
  test('is registered and not deferrable (the filesystems must be on the disk before zipl mounts boot)', () => {
    expect(STAGES['org.osbuild.zipl.inst']).toBe(run);
    expect(deferrable(STAGE)).toBe(false);
    expect(deferrable({ type: 'org.osbuild.copy', mounts: STAGE.mounts })).toBe(true);
  });

  test('two builder runs: read the entries (read-only), then zipl with the resolved command line', async () => {
    const calls: RunSpec[] = [];
    await run(STAGE, fakeEnv(calls));
    expect(calls).toHaveLength(2);
    const [read, write] = calls.map((c) => c.argv[2]!);
    expect(calls.every((c) => c.argv[0] === 'sh' && c.argv[1] === '-c')).toBe(true);
    expect(read).toContain('mount -t ext4 -o ro,loop,offset=1048576,sizelimit=402653184 /w/trees/metal/disk.raw /w/zipl/metal/root/boot');
    expect(read).not.toContain('losetup --find');
    expect(write).toContain('mount -t ext4 -o loop,offset=1048576,sizelimit=402653184 /w/trees/metal/disk.raw /w/zipl/metal/root/boot');
    expect(write).toContain('D=$(losetup --find --show /w/trees/metal/disk.raw)');
    expect(write).toContain("--parameters 'root=LABEL=root rw console=ttysclp0 ignition.platform.id=metal ignition.firstboot mitigations=off'");
    expect(write).toContain(`--image /w/zipl/metal/root/boot/vmlinuz-${KV} --ramdisk /w/zipl/metal/root/boot/initramfs-${KV}.img`);
    expect(write).toContain('--targetbase "$D" --targettype SCSI --targetblocksize 512 --targetoffset 2048');
    expect(write).toMatch(/trap cleanup EXIT/);
    expect(calls[1]!.binds).toContainEqual({ path: '/w' });
  });

  test('no flag file: no ignition.firstboot on the baked command line', async () => {
    const calls: RunSpec[] = [];
    await run(STAGE, fakeEnv(calls, listing([[`day0-${KV}.conf`, entry()]], false)));
    expect(calls[1]!.argv[2]).toContain("--parameters 'root=LABEL=root rw console=ttysclp0 ignition.platform.id=metal mitigations=off'");
  });

  test('a stage without the disk or without mounts is refused', async () => {
    const env = fakeEnv([]);
    await expect(run(STAGE, { ...env, devices: {} })).rejects.toThrow(/needs a device named "disk"/);
    await expect(run(STAGE, { ...env, mounts: [] })).rejects.toThrow(/needs the boot partition mounted/);
  });
});

// Each profile with a zipl boot mode: the executor writes the filesystems into the disk, then runs zipl.inst.
const ZIPL_PROFILES = EACH_PROFILE.filter(([, p]) => bootModes(p).some((m) => m.disk === 'zipl'));
describe.each(ZIPL_PROFILES)('runManifest over the %s plan', (arch, p) => {
  test('boot written into the disk before zipl reads it; one read + one zipl per disk', async () => {
    const work = mkdtempSync(join(tmpdir(), 'day0-zipl-run-'));
    try {
      const { manifest } = generateDiskManifest({
        profile: p, name: 'demo', formats: ['metal', 'qemu'], ignition: Buffer.from('{}'),
        kernel: { version: KV, vmlinuz: `/usr/lib/modules/${KV}/vmlinuz`, initramfs: `/usr/lib/modules/${KV}/initramfs.img` },
        image: { id: `sha256:${'a'.repeat(64)}`, name: 'r/demo', digest: `sha256:${'b'.repeat(64)}` },
        builder: { id: `sha256:${'c'.repeat(64)}`, name: 'builder' }, efiBinaries: {}, seed: 'x',
      });
      const calls: RunSpec[] = [];
      const exec: Executor = {
        mode: 'host', describe: () => 'rec',
        run: async (spec) => {
          calls.push(spec);
          return { exitCode: 0, stdout: spec.label?.includes('read the boot loader entries') ? listing([[`day0-${KV}.conf`, entry()]], true) : '', stderr: '', killed: false, timedOut: false };
        },
      };
      await runManifest(manifest, { exec, workDir: work, containers: { [`sha256:${'a'.repeat(64)}`]: { dir: '/srv/rootfs' }, [`sha256:${'c'.repeat(64)}`]: { builder: true } }, validate: true });
      const kinds = calls.map((c) => (c.label?.startsWith('zipl') ? c.label : c.argv.join(' ').includes('SEEK_DATA') ? 'write-fs' : 'other'));
      const first = kinds.indexOf('zipl.inst: read the boot loader entries');
      expect(first).toBeGreaterThan(0);
      // every filesystem of the metal disk (boot, root) was written before zipl mounted boot
      expect(kinds.slice(0, first).filter((k) => k === 'write-fs').length).toBeGreaterThanOrEqual(p.disk.partitions.filter((x) => x.filesystem).length);
      expect(kinds.filter((k) => k === 'zipl.inst: read the boot loader entries')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'zipl')).toHaveLength(2);
      expect(kinds[kinds.indexOf('zipl.inst: read the boot loader entries') + 1]).toBe('zipl');
      expect(calls.at(-1)!.argv.at(-1)).toMatch(new RegExp(`demo-qemu\\.${arch}\\.qcow2$`));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
