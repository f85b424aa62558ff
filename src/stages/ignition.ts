// org.osbuild.ignition: create the `ignition.firstboot` flag file that makes GRUB add `ignition.firstboot` to the
// kernel command line (the image's initramfs removes it once Ignition has run). With `network`, the file sets
// ignition_network_kcmdline for GRUB, as osbuild writes it.
import { join } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import { opts, tool, type StageEnv } from './types.js';

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const o = opts<{ network?: string[]; target?: string }>(stage);
  const target = o.target ?? 'tree:///boot';
  if (!target.startsWith('tree:///')) throw new Day0Error(`ignition target ${target} is not supported by day0's executor`, { fix: 'use a tree:/// target' });
  const file = join(env.tree, target.slice('tree://'.length), 'ignition.firstboot');
  const content = o.network?.length ? `set ignition_network_kcmdline="${o.network.join(' ')}"\n` : '';
  await tool(env, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && printf %s "$2" > "$1"', 'sh', file, content], 'ignition.firstboot flag');
}
