// org.osbuild.chmod: change file mode bits in the tree (chmod(1)).
import { join } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { opts, script, type StageEnv } from './types.js';

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const items = opts<{ items?: Record<string, { mode: string; recursive?: boolean }> }>(stage).items ?? {};
  await script(env, Object.entries(items).map(([p, o]) => ['chmod', ...(o.recursive ? ['-R'] : []), o.mode, join(env.tree, p)]), 'chmod');
}
