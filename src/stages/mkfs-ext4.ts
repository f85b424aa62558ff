// org.osbuild.mkfs.ext4: an ext4 filesystem via mkfs.ext4(8). Built as a separate image file and filled with
// `mkfs.ext4 -d` (keeps ownership, modes, xattrs and hard links; no mount), then written into the disk.
import type { Stage } from '../manifest/types.js';
import type { FsBuild } from './filesystems.js';
import { opts, tool, type StageEnv } from './types.js';
import { device } from './devices.js';

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  env.fs.create(device(stage, env), 'ext4', opts(stage));
}

export function mkfsExt4Argv(b: Pick<FsBuild, 'options' | 'content' | 'sectorSize'>): string[] {
  const o = b.options as { uuid?: string; label?: string; lazy_init?: boolean; metadata_csum_seed?: boolean; orphan_file?: boolean; verity?: boolean };
  const argv = ['mkfs.ext4', '-q', '-F'];
  // On a 4k loop device mke2fs never picks a block smaller than the sector; an image file must say so (a small
  // filesystem would otherwise get 1 KiB blocks, which a 4k-sector disk cannot mount).
  if (b.sectorSize > 1024) argv.push('-b', String(b.sectorSize));
  if (o.uuid) argv.push('-U', o.uuid);
  if (o.label) argv.push('-L', o.label);
  if (o.lazy_init !== undefined) argv.push('-E', `lazy_itable_init=${o.lazy_init ? 1 : 0},lazy_journal_init=${o.lazy_init ? 1 : 0}`);
  const feats: string[] = [];
  if (o.metadata_csum_seed !== undefined) feats.push(`${o.metadata_csum_seed ? '' : '^'}metadata_csum_seed`);
  if (o.orphan_file !== undefined) feats.push(`${o.orphan_file ? '' : '^'}orphan_file`);
  if (o.verity !== undefined) feats.push(`${o.verity ? '' : '^'}verity`);
  if (feats.length) argv.push('-O', feats.join(','));
  if (b.content) argv.push('-d', b.content);
  return argv;
}

export async function buildExt4(env: StageEnv, b: FsBuild): Promise<void> {
  await tool(env, ['sh', '-c', 'set -e; rm -f "$2"; truncate -s "$1" "$2"; img=$2; shift 2; "$@" "$img"', 'sh', String(b.sizeBytes), b.image, ...mkfsExt4Argv(b)],
    `mkfs.ext4 ${String(b.options.label ?? '')}`, { fix: 'if the tool reports no space left, pass a larger --disk-size' });
}
