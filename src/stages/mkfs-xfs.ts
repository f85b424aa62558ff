// org.osbuild.mkfs.xfs: an XFS filesystem via mkfs.xfs(8). Built as a separate image file; filled by a loop mount
// *inside the builder* and `cp -a` (xattrs and hard links survive, unlike an mkfs.xfs -p protofile). The loop
// mount uses autoclear: it is unmounted by the script, and if the builder is killed the mount namespace goes
// away with it, which releases the loop device too.
import type { Stage } from '../manifest/types.js';
import type { FsBuild } from './filesystems.js';
import { opts, tool, type StageEnv } from './types.js';
import { device } from './devices.js';

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  env.fs.create(device(stage, env), 'xfs', opts(stage));
}

export function mkfsXfsArgv(b: Pick<FsBuild, 'options' | 'sectorSize'>): string[] {
  const o = b.options as { uuid?: string; label?: string; agcount?: number };
  const argv = ['mkfs.xfs', '-q', '-f'];
  if (o.uuid) argv.push('-m', `uuid=${o.uuid}`);
  if (o.label) argv.push('-L', o.label);
  if (o.agcount) argv.push('-d', `agcount=${o.agcount}`);
  // On a loop device osbuild's mkfs sees the device's logical sector size; an image file needs it said.
  if (b.sectorSize !== 512) argv.push('-s', `size=${b.sectorSize}`);
  return argv;
}

const SCRIPT = `set -eu
size=$1 img=$2 mnt=$3 content=$4; shift 4
rm -f "$img"; truncate -s "$size" "$img"
"$@" "$img"
[ -n "$content" ] || exit 0
mkdir -p "$mnt"
mount -t xfs -o loop "$img" "$mnt"
trap 'umount "$mnt" 2>/dev/null || umount -l "$mnt"' EXIT INT TERM
cp -a --reflink=auto "$content"/. "$mnt"/
umount "$mnt"
trap - EXIT INT TERM
`;

export async function buildXfs(env: StageEnv, b: FsBuild): Promise<void> {
  await tool(env, ['sh', '-c', SCRIPT, 'sh', String(b.sizeBytes), b.image, `${b.scratch}/mnt`, b.content ?? '', ...mkfsXfsArgv(b)],
    `mkfs.xfs ${String(b.options.label ?? '')}`, { fix: 'if the tool reports no space left, pass a larger --disk-size' });
}
