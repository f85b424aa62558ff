// org.osbuild.mkdir: create directories in the tree (mkdir(1)) or in a mounted filesystem (a filesystem-job op).
import { join, posix } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import { opts, script, type StageEnv } from './types.js';

interface MkdirPath { path: string; mode?: number; parents?: boolean; exist_ok?: boolean }

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const cmds: string[][] = [];
  for (const p of opts<{ paths?: MkdirPath[] }>(stage).paths ?? []) {
    const flags = [...(p.parents || p.exist_ok ? ['-p'] : []), ...(p.mode !== undefined ? ['-m', p.mode.toString(8)] : [])];
    const m = /^mount:\/\/([^/]+)(\/.*)?$/.exec(p.path);
    if (m) {
      const mount = env.mounts.find((x) => x.name === m[1]);
      const job = mount ? env.fs.find(mount.device) : undefined;
      if (!job) throw new Day0Error(`mkdir ${p.path}: no filesystem made in this pipeline behind mount ${m[1]}`, { fix: 'make the filesystem first, or run with --engine osbuild' });
      job.ops.push({ kind: 'mkdir', path: posix.normalize(m[2] ?? '/'), ...(p.mode !== undefined ? { mode: p.mode } : {}), ...(p.parents ? { parents: true } : {}), ...(p.exist_ok ? { existOk: true } : {}) });
      continue;
    }
    const rel = p.path.startsWith('tree://') ? p.path.slice('tree://'.length) : p.path;
    const norm = posix.normalize(`/${rel}`);
    if (norm.split('/').includes('..')) throw new Day0Error(`mkdir ${p.path} leaves the tree`, { fix: 'remove ".." from the path' });
    cmds.push(['mkdir', ...flags, join(env.tree, norm)]);
  }
  await script(env, cmds, 'mkdir');
}
