// org.osbuild.mkfs.fat: a FAT filesystem via mkfs.fat(8), filled with mtools (mcopy) — never mounted (the host
// kernel has no vfat driver). The logical sector size is the disk's, so 4k-sector disks get a 4k FAT.
import type { Stage } from '../manifest/types.js';
import type { FsBuild } from './filesystems.js';
import { opts, tool, type StageEnv } from './types.js';
import { device } from './devices.js';

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  env.fs.create(device(stage, env), 'vfat', opts(stage));
}

export function mkfsFatArgv(b: Pick<FsBuild, 'options' | 'sectorSize'>): string[] {
  const o = b.options as { volid?: string; label?: string; 'fat-size'?: number; geometry?: { heads: number; 'sectors-per-track': number } };
  const argv = ['mkfs.fat', '-S', String(b.sectorSize)];
  if (o.volid) argv.push('-i', o.volid);
  if (o.label) argv.push('-n', o.label);
  if (o['fat-size']) argv.push('-F', String(o['fat-size']));
  if (o.geometry) argv.push('-g', `${o.geometry.heads}/${o.geometry['sectors-per-track']}`);
  return argv;
}

const SCRIPT = `set -eu
export MTOOLS_SKIP_CHECK=1
size=$1 img=$2 content=$3; shift 3
rm -f "$img"; truncate -s "$size" "$img"
"$@" "$img" >/dev/null
[ -n "$content" ] || exit 0
cd "$content"
for f in * .[!.]*; do
  [ -e "$f" ] || continue
  mcopy -Q -s -p -m -i "$img" "$f" ::/
done
`;

export async function buildFat(env: StageEnv, b: FsBuild): Promise<void> {
  await tool(env, ['sh', '-c', SCRIPT, 'sh', String(b.sizeBytes), b.image, b.content ?? '', ...mkfsFatArgv(b)],
    `mkfs.fat + mcopy ${String(b.options.label ?? '')}`, { fix: 'a FAT filesystem too small for its content needs a larger partition in the profile' });
}
