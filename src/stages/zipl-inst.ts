// org.osbuild.zipl.inst: the IBM Z (s390x) boot record, so that the s390-ccw firmware (or an LPAR's IPL) boots the
// disk. This stage is s390x-only: zipl is an s390x program and the record it writes is read by s390x firmware.
//
// As osbuild's stage does: the BLS entry `<mounts>/boot/loader/entries/*.conf` whose `version` is options.kernel
// names the kernel (`linux`), the initramfs (`initrd`) and the command line (`options`, then kernel_opts_append);
// `zipl --target <boot> --targetbase <whole disk> --targettype SCSI --targetblocksize <blocksize> --targetoffset
// <location>` writes the `bootmap` file into /boot and its boot record into block 0 of the disk (which coexists
// with a GPT protective MBR's partition table). zipl bakes the command line into the bootmap (no GRUB on s390x):
// day0's `$ignition_firstboot`, which GRUB expands on the other platforms while `/ignition.firstboot` exists on the
// boot partition (src/manifest/grub.ts), becomes `ignition.firstboot` when that flag file exists and is dropped
// otherwise.
//
// Two builder runs, each one script that releases every mount and loop device on every exit path (trap):
//   1. mount the stage's mounts read-only, print the BLS entries and whether the flag exists;
//   2. day0 picks the entry and builds zipl's command line (resolveZiplBoot and ziplArgv: pure), then the builder
//      mounts the mounts read-write, puts the whole disk on a loop device and runs zipl.
// zipl runs natively when the builder is s390x and has it on PATH; otherwise it is s390x's zipl from the builder's
// s390x sysroot (builder/Containerfile: the profile's foreign packages) under qemu-user, whose -L prefix also
// finds zipl's stage files (/lib/s390-tools/stage3.bin) there.
// Filesystems are built lazily by the executor (filesystems.ts); run-manifest.ts flushes them into the disk before
// this stage, which mounts them (it is not deferrable).
import { join, posix } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { FIRSTBOOT_TOKEN } from '../manifest/grub.js';
import { Day0Error } from '../util/errors.js';
import { opts, shq, tool, type ResolvedMount, type StageEnv } from './types.js';

/** s390x's zipl and C library, unpacked into the builder (builder/Containerfile). */
export const S390X_SYSROOT = '/usr/lib/day0/sysroot/s390x';
export const ZIPL_IN_SYSROOT = `${S390X_SYSROOT}/sbin/zipl`;
export const QEMU_USER_S390X = 'qemu-s390x-static';
/** GRUB's spellings of the first-boot variable in a BLS `options` line. */
export const FIRSTBOOT_TOKENS = [FIRSTBOOT_TOKEN, '${ignition_firstboot}'];
/** The kernel argument the first-boot variable stands for. */
export const FIRSTBOOT_KARG = 'ignition.firstboot';
/** Where the first-boot flag lives, relative to the boot partition's root. */
export const FIRSTBOOT_FLAG = 'ignition.firstboot';

export interface ZiplInstOptions {
  kernel: string;
  location: number;
  kernel_opts_append?: string[];
  blocksize?: number;
}

export interface BlsFields {
  version?: string;
  linux?: string;
  /** Every path of every `initrd` line, in order. */
  initrd: string[];
  /** Every argument of every `options` line, in order. */
  options: string[];
}

/** A BLS type #1 entry's keys ("key value" lines; blank lines and # comments skipped). */
export function parseBlsEntry(text: string): BlsFields {
  const out: BlsFields = { initrd: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const key = m[1]!;
    const value = m[2]!.trim();
    if (key === 'version') out.version = value;
    else if (key === 'linux') out.linux = value;
    else if (key === 'initrd') out.initrd.push(...value.split(/\s+/).filter(Boolean));
    else if (key === 'options') out.options.push(...value.split(/\s+/).filter(Boolean));
  }
  return out;
}

export interface ZiplBoot {
  /** The entry's file name. */
  entry: string;
  /** Paths on the boot partition. */
  linux: string;
  initrd: string;
  /** The command line baked into the bootmap. */
  parameters: string[];
}

/**
 * Pick the entry for `kernel` (by file name order, as listed) and resolve the command line: the first-boot variable
 * becomes `ignition.firstboot` while the flag exists and is dropped otherwise; kernel_opts_append goes last.
 */
export function resolveZiplBoot(entries: { name: string; text: string }[], o: { kernel: string; kernel_opts_append?: string[]; firstboot: boolean }): ZiplBoot {
  const parsed = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => ({ name: e.name, f: parseBlsEntry(e.text) }));
  const hit = parsed.find((e) => e.f.version === o.kernel);
  if (!hit) {
    const have = parsed.map((e) => `${e.name} (version ${e.f.version ?? 'none'})`).join(', ');
    throw new Day0Error(`zipl.inst: no boot loader entry for kernel ${o.kernel} in /boot/loader/entries${have ? `; there are: ${have}` : ' (none found)'}`, {
      fix: 'the boot partition must hold a BLS entry whose `version` is the stage\'s `kernel` (day0 writes loader/entries/day0-KERNEL.conf)',
    });
  }
  const { name, f } = hit;
  if (!f.linux) throw new Day0Error(`zipl.inst: boot loader entry ${name} has no linux line`, { fix: 'add `linux /vmlinuz-KERNEL` to the entry' });
  if (f.initrd.length !== 1) {
    throw new Day0Error(`zipl.inst: boot loader entry ${name} has ${f.initrd.length === 0 ? 'no initrd' : `${f.initrd.length} initrds`}; zipl loads exactly one`, {
      fix: 'give the entry one `initrd` (concatenate several initramfs images into one)',
    });
  }
  for (const p of [f.linux, f.initrd[0]!]) {
    if (p.split('/').includes('..')) throw new Day0Error(`zipl.inst: boot loader entry ${name} names ${p}, outside the boot partition`, { fix: 'use paths on the boot partition, e.g. /vmlinuz-KERNEL' });
  }
  const parameters = f.options.flatMap((a) => (FIRSTBOOT_TOKENS.includes(a) ? (o.firstboot ? [FIRSTBOOT_KARG] : []) : [a]));
  parameters.push(...(o.kernel_opts_append ?? []));
  for (const a of parameters) {
    if (/[\n\r\0]/.test(a)) throw new Day0Error(`zipl.inst: kernel argument ${JSON.stringify(a)} has a line break or NUL`, { fix: 'remove it from the entry or kernel_opts_append' });
  }
  return { entry: name, linux: f.linux, initrd: f.initrd[0]!, parameters };
}

const onBoot = (bootDir: string, p: string) => `${bootDir}${p.startsWith('/') ? '' : '/'}${p}`;

/** zipl's arguments (without the program), as osbuild's stage passes them. */
export function ziplArgv(boot: ZiplBoot, at: { bootDir: string; targetbase: string; blocksize: number; location: number }): string[] {
  return [
    '--verbose',
    '--target', at.bootDir,
    '--image', onBoot(at.bootDir, boot.linux),
    '--ramdisk', onBoot(at.bootDir, boot.initrd),
    '--parameters', boot.parameters.join(' '),
    '--targetbase', at.targetbase,
    '--targettype', 'SCSI',
    '--targetblocksize', String(at.blocksize),
    '--targetoffset', String(at.location),
  ];
}

/** Read run's output: `entry <base64 name> <base64 text>` lines, then `firstboot 0|1`. */
export function parseEntryListing(stdout: string): { entries: { name: string; text: string }[]; firstboot: boolean } {
  const entries: { name: string; text: string }[] = [];
  let firstboot: boolean | undefined;
  for (const line of stdout.split('\n')) {
    const e = /^entry (\S+) (\S*)$/.exec(line);
    if (e) entries.push({ name: Buffer.from(e[1]!, 'base64').toString('utf8'), text: Buffer.from(e[2]!, 'base64').toString('utf8') });
    const fb = /^firstboot ([01])$/.exec(line);
    if (fb) firstboot = fb[1] === '1';
  }
  if (firstboot === undefined) throw new Day0Error('zipl.inst: reading the boot partition printed nothing', { fix: 'see the builder output above; run `day0 doctor` to check the builder image' });
  return { entries, firstboot };
}

const FSTYPE: Record<string, string> = { 'org.osbuild.ext4': 'ext4', 'org.osbuild.xfs': 'xfs', 'org.osbuild.fat': 'vfat', 'org.osbuild.btrfs': 'btrfs' };

/** Where each mount goes under `root`, parents first. */
export function mountPlan(mounts: ResolvedMount[], root: string): { fstype: string; file: string; offset: number; sizelimit?: number; dir: string }[] {
  return [...mounts]
    .map((m) => {
      const fstype = FSTYPE[m.type];
      if (!fstype) throw new Day0Error(`zipl.inst: mount type ${m.type} is not supported by day0's executor`, { fix: `use one of: ${Object.keys(FSTYPE).join(', ')}` });
      const target = posix.normalize(`/${m.target}`).replace(/\/+$/, '') || '/';
      if (m.target.split('/').includes('..')) throw new Day0Error(`zipl.inst: mount target ${m.target} leaves the mount root`, { fix: 'use a target like /boot' });
      const d = m.device;
      return { fstype, file: d.file, offset: d.start * d.sectorSize, ...(d.size !== undefined ? { sizelimit: d.size * d.sectorSize } : {}), dir: target === '/' ? root : `${root}${target}` };
    })
    .sort((a, b) => a.dir.length - b.dir.length);
}

/** Set LO_FLAGS_AUTOCLEAR on the loop device open on fd 3 (struct loop_info64: lo_flags at byte 52). */
const AUTOCLEAR = `import fcntl, struct
b = bytearray(232)
fcntl.ioctl(3, 0x4C05, b)
struct.pack_into("I", b, 52, struct.unpack_from("I", b, 52)[0] | 4)
fcntl.ioctl(3, 0x4C04, bytes(b))
`;

/** One builder script: mount (read-only or not), then `body`; every mount and the disk loop released on exit. */
export function ziplScript(plan: ReturnType<typeof mountPlan>, o: { readonly: boolean; body: string[]; disk?: { file: string; offset: number; sectorSize: number } }): string {
  const lines = ['set -eu', 'D='];
  const umounts = [...plan].reverse().map((p) => `  umount ${shq(p.dir)} 2>/dev/null || umount -l ${shq(p.dir)} 2>/dev/null || true`);
  lines.push('cleanup() {', ...umounts, '  if [ -n "$D" ]; then exec 3<&-; losetup -d "$D" 2>/dev/null || true; fi', '}', 'trap cleanup EXIT', "trap 'exit 130' INT TERM");
  for (const p of plan) {
    const mo = [...(o.readonly ? ['ro'] : []), 'loop', `offset=${p.offset}`, ...(p.sizelimit !== undefined ? [`sizelimit=${p.sizelimit}`] : [])].join(',');
    lines.push(`mkdir -p ${shq(p.dir)}`, `mount -t ${p.fstype} -o ${mo} ${shq(p.file)} ${shq(p.dir)}`);
  }
  if (o.disk) {
    const flags = [...(o.disk.offset ? ['--offset', String(o.disk.offset)] : []), ...(o.disk.sectorSize !== 512 ? ['--sector-size', String(o.disk.sectorSize)] : [])];
    lines.push(`D=$(losetup --find --show ${flags.join(' ')} ${shq(o.disk.file)})`.replace(/ {2,}/g, ' '));
    // Held open on fd 3 and marked autoclear: if the builder is killed before the trap runs, the last close
    // releases the loop device (as the autoclear loop mounts are released with the mount namespace).
    lines.push('exec 3<"$D"', `python3 -c ${shq(AUTOCLEAR)}`);
  }
  lines.push(...o.body);
  return `${lines.join('\n')}\n`;
}

/** The read run: mounts read-only, then each `<boot>/loader/entries/*.conf` and the first-boot flag (parseEntryListing). */
export function readEntriesScript(plan: ReturnType<typeof mountPlan>, bootDir: string): string {
  return ziplScript(plan, {
    readonly: true,
    body: [
      `b=${shq(bootDir)}`,
      'for f in "$b"/loader/entries/*.conf; do [ -f "$f" ] || continue; printf \'entry %s %s\\n\' "$(basename "$f" | tr -d \'\\n\' | base64 -w0)" "$(base64 -w0 < "$f")"; done',
      `if [ -e "$b/${FIRSTBOOT_FLAG}" ]; then echo 'firstboot 1'; else echo 'firstboot 0'; fi`,
    ],
  });
}

/** The shell word that stands for the whole-disk loop device in ziplArgv's output. */
const DISK_LOOP = '@DISK_LOOP@';

/** The script lines that pick zipl (native on s390x, else the sysroot's under qemu-user) and run it with `args`. */
export function ziplRunLines(args: string[]): string[] {
  const words = args.map((a) => (a === DISK_LOOP ? '"$D"' : shq(a))).join(' ');
  return [
    'if [ "$(uname -m)" = s390x ] && command -v zipl >/dev/null 2>&1; then set -- zipl',
    `elif [ -x ${ZIPL_IN_SYSROOT} ] && command -v ${QEMU_USER_S390X} >/dev/null 2>&1; then set -- ${QEMU_USER_S390X} -L ${S390X_SYSROOT} ${ZIPL_IN_SYSROOT}`,
    `else echo "day0: no zipl: neither a native s390x zipl nor ${ZIPL_IN_SYSROOT} with ${QEMU_USER_S390X}" >&2; exit 3; fi`,
    `"$@" ${words}`,
    'sync',
  ];
}

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const o = opts<ZiplInstOptions>(stage);
  const disk = env.devices.disk;
  if (!disk) throw new Day0Error('zipl.inst needs a device named "disk" (the whole disk)', { fix: 'add devices.disk (org.osbuild.loopback of the disk image)' });
  if (env.mounts.length === 0) throw new Day0Error('zipl.inst needs the boot partition mounted', { fix: 'add a mount of the boot partition\'s loopback device at /boot' });
  const blocksize = o.blocksize ?? 512;
  const root = join(env.workDir, 'zipl', env.pipeline, 'root');
  const plan = mountPlan(env.mounts, root);
  const bootDir = `${root}/boot`;
  const fix = `see zipl's output above; the builder image needs s390x's zipl in ${S390X_SYSROOT} and ${QEMU_USER_S390X} (rebuild it: bash hack/builder-image.sh)`;

  // 1. What to boot: the entries and the first-boot flag, from the boot partition mounted read-only.
  const res = await tool(env, ['sh', '-c', readEntriesScript(plan, bootDir)], 'zipl.inst: read the boot loader entries', { fix });
  const listing = parseEntryListing(res.stdout);
  const boot = resolveZiplBoot(listing.entries, { kernel: o.kernel, firstboot: listing.firstboot, ...(o.kernel_opts_append ? { kernel_opts_append: o.kernel_opts_append } : {}) });
  env.log(`zipl: entry ${boot.entry}, kernel ${boot.linux}, initrd ${boot.initrd}, command line: ${boot.parameters.join(' ')}`);

  // 2. The boot record: the whole disk on a loop device, the mounts read-write, zipl.
  const args = ziplArgv(boot, { bootDir, targetbase: DISK_LOOP, blocksize, location: o.location });
  const write = ziplScript(plan, { readonly: false, disk: { file: disk.file, offset: disk.start * disk.sectorSize, sectorSize: disk.sectorSize }, body: ziplRunLines(args) });
  await tool(env, ['sh', '-c', write], 'zipl', { fix });
}
