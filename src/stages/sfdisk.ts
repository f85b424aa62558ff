// org.osbuild.sfdisk: write a partition table with sfdisk(8). 512-byte sectors: sfdisk on the image file.
// 4096-byte sectors: sfdisk needs a device that reports them, so a loop device with --sector-size 4096 is set
// up inside the builder and always detached (trap, also on SIGTERM).
import type { Stage } from '../manifest/types.js';
import { device } from './devices.js';
import { opts, tool, type StageEnv } from './types.js';

interface SfdiskPartition { start?: number; size?: number; type?: string; name?: string; uuid?: string; bootable?: boolean; partnum?: number; attrs?: number[] }

export function sfdiskScript(o: { label: string; uuid: string; partitions?: SfdiskPartition[] }): string {
  const lines = [`label: ${o.label === 'mbr' ? 'dos' : o.label}`, `label-id: ${o.uuid}`, ''];
  for (const p of o.partitions ?? []) {
    const f: string[] = [];
    if (p.start !== undefined) f.push(`start=${p.start}`);
    if (p.size !== undefined) f.push(`size=${p.size}`);
    if (p.type) f.push(`type=${p.type}`);
    if (p.uuid) f.push(`uuid=${p.uuid}`);
    if (p.name) f.push(`name="${p.name.replace(/["\\]/g, '')}"`);
    if (p.bootable) f.push('bootable');
    if (p.attrs?.length) f.push(`attrs="${p.attrs.map((a) => (a < 3 ? ['RequiredPartition', 'NoBlockIOProtocol', 'LegacyBIOSBootable'][a] : `GUID:${a}`)).join(' ')}"`);
    lines.push(f.join(', '));
  }
  return `${lines.join('\n')}\n`;
}

const SCRIPT = `set -eu
file=$1 ss=$2
if [ "$ss" = 512 ]; then exec sfdisk -q --no-reread --no-tell-kernel --wipe always "$file"; fi
dev=$(losetup --sector-size "$ss" --show -f "$file")
trap 'losetup -d "$dev"' EXIT INT TERM
sfdisk -q --no-reread --no-tell-kernel --wipe always "$dev"
`;

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const d = device(stage, env);
  const script = sfdiskScript(opts(stage));
  await tool(env, ['sh', '-c', SCRIPT, 'sh', d.file, String(d.sectorSize)], 'sfdisk', { input: script });
}
