// org.osbuild.truncate: create, shrink or extend a file in the tree (truncate(1)).
import { join } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { opts, tool, type StageEnv } from './types.js';

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const o = opts<{ filename: string; size: string }>(stage);
  await tool(env, ['truncate', '--size', o.size, join(env.tree, o.filename)], 'truncate');
}
