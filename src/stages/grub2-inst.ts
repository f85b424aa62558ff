// org.osbuild.grub2.inst: BIOS boot without grub-install on a live device. grub-mkimage builds core.img
// (biosdisk + partition-table + filesystem modules, prefix "(,gptN)/path"); core.img is written at `location`
// (the BIOS boot partition), its second-sector pointer patched when it lives outside the MBR gap, and the first
// 440 bytes of boot.img go into the protective MBR with the core.img LBA at 0x5c — as osbuild's stage does.
import { join } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import { opts, runQueue, tool, type QueuedTool, type StageEnv } from './types.js';

interface Options {
  filename: string;
  platform: string;
  location?: number;
  core: { type: 'mkimage'; partlabel: 'gpt' | 'dos'; filesystem: 'ext4' | 'xfs' | 'btrfs' | 'iso9660'; binary?: string };
  prefix: { type: 'partition'; partlabel: 'gpt' | 'dos'; number: number; path: string } | { path: string };
  'sector-size'?: number;
}

export function coreModules(o: Options): string[] {
  const mods = o.platform === 'i386-pc' ? ['biosdisk'] : [];
  mods.push(o.core.partlabel === 'gpt' ? 'part_gpt' : 'part_msdos');
  mods.push({ ext4: 'ext2', xfs: 'xfs', btrfs: 'btrfs', iso9660: 'iso9660' }[o.core.filesystem]);
  return mods;
}

export function grubPrefix(p: Options['prefix']): string {
  if (!('type' in p)) return p.path;
  return `(,${p.partlabel === 'gpt' ? 'gpt' : 'msdos'}${p.number + 1})/${p.path.replace(/^\/+/, '')}`;
}

const PATCH = `
import struct, sys
img, core, loc, ss, platform = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
with open(img, "r+b") as f, open(core, "rb") as c:
    f.seek(loc * ss)
    f.write(c.read())
    if platform == "i386-pc":
        if loc * ss > 512:
            f.seek(loc * ss + 500)
            f.write(struct.pack("<Q", loc + 1))
        with open("/usr/lib/grub/%s/boot.img" % platform, "rb") as b:
            f.seek(0)
            f.write(b.read(440))
        f.seek(0x5c)
        f.write(struct.pack("<Q", loc))
`;

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const o = opts<Options>(stage);
  if (o.location === undefined) throw new Day0Error('grub2.inst without "location" is not supported by day0\'s executor', { fix: 'give the BIOS boot partition start in sectors' });
  const image = join(env.tree, o.filename);
  const core = join(env.workDir, `grub-core-${env.pipeline}.img`);
  const bin = o.core.binary ?? 'grub2-mkimage';
  // One builder start: grub-mkimage, then the patch (queued together).
  const q = { ...env, queue: [] as QueuedTool[] };
  await tool(q, ['sh', '-c', 'set -e; "$@"', 'sh', bin, '--directory', `/usr/lib/grub/${o.platform}`, '--prefix', grubPrefix(o.prefix), '--format', o.platform,
    '--compression', 'auto', '--output', core, ...coreModules(o)], 'grub-mkimage (core.img)');
  await tool(q, ['/usr/bin/python3', '-c', PATCH, image, core, String(o.location), String(o['sector-size'] ?? 512), o.platform], 'write GRUB boot.img + core.img');
  await runQueue(env.exec, q.queue, env.pipeline, env.signal);
}
