// The boot partition of a boot check's private disk copy: mounted in the builder to read and write files there
// (the check's config, the TCG kernel arguments in the BLS entries). Raw copies are attached by offset; a qcow2
// overlay (the qemu cell) has its boot partition taken out as a raw file, edited the same way, and only the blocks
// that changed written back into the overlay, so the shipped image stays its backing file, unchanged.
import { open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { check, type Bind, type Executor } from '../executor/index.js';
import { readAtHandle, readGpt, type GptPartition, type ReadAt } from '../formats/gpt.js';
import { BLS_DIR, editBlsOptions, GRUB_DIR } from '../manifest/grub.js';
import { Day0Error } from '../util/errors.js';
import { changedExtents, writeExtentFiles } from '../util/extents.js';
import { grubCfgWithKargs } from './kargs.js';

/** Runs a shell script with the boot filesystem mounted at $M ($W = the work dir). */
export type OnBoot = (script: string) => Promise<void>;

/**
 * Run `script` with the ext4 filesystem at `offset`/`size` of `file` mounted at $M, in the builder. Attached by
 * offset (no partition scanning: it is not available for loop devices on every kernel); loop device and mount
 * are released by the script's trap, also on failure.
 */
async function onFilesystem(exec: Executor, file: string, offset: number, size: number, work: string, script: string): Promise<void> {
  const wrapper = [
    'set -eu',
    'disk="$1"; W="$2"; M="$W/mnt"; mkdir -p "$M"',
    'dev=$(losetup -f --show -o "$3" --sizelimit "$4" "$disk")',
    'cleanup() { umount "$M" 2>/dev/null || true; losetup -d "$dev" 2>/dev/null || true; }',
    'trap cleanup EXIT',
    'mount -t ext4 "$dev" "$M"',
    script,
  ].join('\n');
  check(
    await exec.run({ argv: ['sh', '-c', wrapper, 'sh', file, work, String(offset), String(size)], binds: [{ path: work }], label: 'boot partition' }),
    `editing the boot partition of ${basename(file)}`,
    'check loop devices with `day0 doctor`',
  );
}

/** The GPT partition named "boot" of the disk `readAt` reads; undefined when there is none (or no GPT at all). */
async function findBootPartition(readAt: ReadAt, what: string): Promise<GptPartition | undefined> {
  return (await readGpt(readAt, what).catch(() => undefined))?.partitions.find((p) => p.name === 'boot');
}

/** The boot partition of a raw disk image (in `work`), found by day0's GPT reader. */
export async function rawBootPartition(exec: Executor, disk: string, work: string): Promise<OnBoot> {
  const fh = await open(disk, 'r');
  const boot = await findBootPartition(readAtHandle(fh), basename(disk)).finally(() => fh.close());
  if (!boot) throw new Day0Error(`${basename(disk)} has no GPT partition named "boot"`, { fix: 'pass a disk image made by `day0 build`' });
  return (script) => onFilesystem(exec, disk, boot.offset, boot.size, work, script);
}

/** QEMU's option-string quoting: a comma in a value is written twice. */
const optValue = (s: string) => s.replaceAll(',', ',,');

/** `qemu-img --image-opts` for bytes `offset`…`offset+size` of a qcow2 image (its backing chain included). */
export function qcow2RangeOpts(path: string, offset: number, size: number): string {
  return `driver=raw,offset=${offset},size=${size},file.driver=qcow2,file.file.driver=file,file.file.filename=${optValue(path)}`;
}

/**
 * A qcow2 overlay's boot partition, for edits: `edit` gets it as a raw file in `work`; afterwards the 64 KiB blocks
 * that differ from before are written into the overlay (qemu-io), which is then read back and compared. A disk with
 * no GPT partition named "boot" (not a day0 image) is left as it is: returns why, and the boot check boots it as is.
 */
export async function editQcow2BootPartition(exec: Executor, overlay: string, work: string, binds: Bind[], edit: (on: OnBoot) => Promise<boolean>): Promise<string | undefined> {
  const run = async (argv: string[], label: string, what: string) =>
    check(await exec.run({ argv, binds: [...binds, { path: work }], label }), what);
  const head = join(work, 'head.raw');
  const HEAD = 1 << 20;
  await run(['qemu-img', 'convert', '--image-opts', qcow2RangeOpts(overlay, 0, HEAD), '-O', 'raw', head], 'qemu-img', 'reading the disk\'s partition table');
  const fh = await open(head, 'r');
  const boot = await findBootPartition(readAtHandle(fh), basename(overlay)).finally(async () => {
    await fh.close();
    await rm(head, { force: true });
  });
  if (!boot) return 'the disk has no GPT partition named "boot"';
  const part = join(work, 'boot.raw');
  const before = join(work, 'boot.before.raw');
  const range = qcow2RangeOpts(overlay, boot.offset, boot.size);
  try {
    await run(['sh', '-c', 'set -eu; qemu-img convert --image-opts "$1" -O raw "$2"; cp --sparse=always --reflink=auto "$2" "$3"', 'sh', range, part, before],
      'qemu-img', 'taking out the boot partition');
    const changed = await edit((script) => onFilesystem(exec, part, 0, boot.size, work, script));
    if (!changed) return undefined;
    const extents = await changedExtents(before, part, 64 * 1024);
    if (!extents.length) return undefined;
    const dir = join(work, 'extents');
    const files = await writeExtentFiles(part, extents, dir);
    // qemu-io splits its commands at spaces: the extent files are named relative to their directory
    const writes = extents.flatMap((e, k) => ['-c', `write -q -s ${files[k]!} ${boot.offset + e.offset} ${e.length}`]);
    await run(['sh', '-c', 'cd "$1" && shift && exec qemu-io "$@"', 'sh', dir, '-f', 'qcow2', ...writes, overlay], 'qemu-io', 'writing the edited boot partition into the overlay');
    // qemu-io reports some failed writes only on its output: read the partition back and compare.
    await run(['sh', '-c', 'set -eu; qemu-img convert --image-opts "$1" -O raw "$2.back"; cmp -s "$2" "$2.back"', 'sh', range, part],
      'qemu-img', 'checking the edited boot partition in the overlay');
    return undefined;
  } finally {
    await rm(join(work, 'extents'), { recursive: true, force: true });
    for (const f of [part, before, `${part}.back`]) await rm(f, { force: true });
  }
}

export interface KargsEdit {
  /** Script lines installing the edited files (run with the partition mounted again); empty when nothing changes. */
  install: string[];
  kargsAdded: string[];
  kargsNote?: string;
}

/** Script lines copying the files kernel arguments live in to $W (run with the boot partition mounted). */
export const readKargsFiles = [
  `mkdir -p "$W/bls"; for f in "$M${BLS_DIR}"/*.conf; do [ -e "$f" ] && cp "$f" "$W/bls/"; done`,
  `if [ -e "$M${GRUB_DIR}/grub.cfg" ]; then cp "$M${GRUB_DIR}/grub.cfg" "$W/grub.cfg"; fi`,
];

/**
 * Add `args` where coreos-installer puts kernel arguments: the BLS entries' options lines (grub.cfg's linux line on
 * disks made before day0 wrote BLS entries), on the copies `readKargsFiles` left in `work`.
 */
export async function editKargsFiles(work: string, args: readonly string[]): Promise<KargsEdit> {
  const entries = (await readdir(join(work, 'bls')).catch(() => [] as string[])).filter((f) => f.endsWith('.conf'));
  if (entries.length) {
    for (const e of entries) await writeFile(join(work, 'bls', e), editBlsOptions(await readFile(join(work, 'bls', e), 'utf8'), { append: [...args] }));
    return { install: [`for f in "$W/bls"/*.conf; do install -m 0644 "$f" "$M${BLS_DIR}/"; done`], kargsAdded: [...args] };
  }
  const cfg = await readFile(join(work, 'grub.cfg'), 'utf8').catch(() => undefined);
  if (cfg === undefined) return { install: [], kargsAdded: [], kargsNote: `the boot partition has neither ${BLS_DIR.slice(1)}/*.conf nor ${GRUB_DIR.slice(1)}/grub.cfg` };
  await writeFile(join(work, 'grub.cfg'), grubCfgWithKargs(cfg, args));
  return { install: [`install -m 0644 "$W/grub.cfg" "$M${GRUB_DIR}/grub.cfg"`], kargsAdded: [...args] };
}
