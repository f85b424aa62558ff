// org.osbuild.copy: copy files or trees from inputs into the tree or into mounted filesystems, `cp -a` with
// rsync's trailing-slash rule (a source ending in "/" copies the directory's content). Copies into a mount are
// handed to the filesystem job of the mounted region (filesystems.ts), which fills the filesystem when it is
// built; copies into the tree run `cp -a` in the builder.
import { posix } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import { opts, script, type ResolvedInput, type StageEnv } from './types.js';

/** Resolve a location URL the way osbuild's copy stage does: root + path, "/." appended for a trailing slash. */
export function locate(url: string, env: StageEnv): { kind: 'path'; path: string } | { kind: 'mount'; mount: string; path: string } {
  const m = /^(input|mount|tree):\/\/([^/]*)(\/.*)$/.exec(url);
  if (!m) throw new Day0Error(`cannot parse location ${url}`, { fix: 'use input://NAME/PATH, mount://NAME/PATH or tree:///PATH' });
  const [, scheme, name, rawPath] = m as unknown as [string, string, string, string];
  const clean = posix.normalize(rawPath).replace(/\/+$/, '');
  if (clean.split('/').includes('..')) throw new Day0Error(`location ${url} leaves its root`, { fix: 'remove ".." from the path' });
  const suffix = rawPath.endsWith('/') ? '/.' : '';
  if (scheme === 'tree') return { kind: 'path', path: `${env.tree}${clean}${suffix}` };
  if (scheme === 'mount') {
    if (!env.mounts.some((x) => x.name === name)) throw new Day0Error(`location ${url}: no mount named ${name}`, { fix: 'add the mount to the stage' });
    return { kind: 'mount', mount: name, path: `${clean}${suffix}` || '/' };
  }
  const input: ResolvedInput | undefined = env.inputs[name];
  if (!input) throw new Day0Error(`location ${url}: no input named ${name}`, { fix: 'add the input to the stage' });
  if (input.kind === 'files') {
    const id = rawPath.slice(1);
    const file = input.files[id];
    if (!file) throw new Day0Error(`location ${url}: input ${name} has no file ${id}`, { fix: 'reference the file in the input' });
    return { kind: 'path', path: file };
  }
  const base = input.path === '/' ? '' : input.path;
  return { kind: 'path', path: `${base}${clean}${suffix}` || '/' };
}

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const o = opts<{ paths: { from: string; to: string; remove_destination?: boolean }[] }>(stage);
  const cmds: string[][] = [];
  for (const p of o.paths) {
    const from = locate(p.from, env);
    const to = locate(p.to, env);
    if (from.kind !== 'path') throw new Day0Error(`copy from a mount (${p.from}) is not supported by day0's executor`, { fix: 'copy from an input' });
    if (to.kind === 'mount') {
      const mount = env.mounts.find((x) => x.name === to.mount)!;
      const job = env.fs.find(mount.device);
      if (!job) {
        throw new Day0Error(`copy into mount ${mount.name}: day0's executor fills only filesystems made earlier in the same pipeline`, {
          fix: 'make the filesystem (org.osbuild.mkfs.*) in this pipeline before copying into it, or run with --engine osbuild',
        });
      }
      job.ops.push({ kind: 'copy', from: from.path, to: to.path });
      job.binds.push(...env.binds.filter((b) => b.readonly));
    } else {
      cmds.push(['cp', '-a', '--reflink=auto', ...(p.remove_destination ? ['--remove-destination'] : []), from.path, to.path]);
    }
  }
  await script(env, cmds, 'copy');
}
