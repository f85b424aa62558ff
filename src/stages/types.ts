// day0's executor for osbuild stages: what a stage module gets to work with.
import type { Bind, Executor, RunResult } from '../executor/types.js';
import { check } from '../executor/run.js';
import type { Stage } from '../manifest/types.js';
import type { FilesystemJobs } from './filesystems.js';

/** A stage input, resolved to paths. */
export type ResolvedInput =
  /** A pipeline tree. `builderRoot`: the builder's own root (paths valid only inside the builder). */
  | { kind: 'tree'; path: string; builderRoot?: boolean }
  /** Files by id (e.g. "sha256:…") → host path. */
  | { kind: 'files'; files: Record<string, string> };

/** An org.osbuild.loopback device, resolved: no loop device is set up until a tool needs one. */
export interface ResolvedDevice {
  name: string;
  /** Host path of the backing file. */
  file: string;
  /** In sectors of `sectorSize`; size undefined = to the end of the file. */
  start: number;
  size?: number;
  sectorSize: 512 | 4096;
}

export interface ResolvedMount {
  name: string;
  type: string;
  device: ResolvedDevice;
  target: string;
}

export interface StageEnv {
  exec: Executor;
  /** Private work dir of this run (bind-mounted into the builder). */
  workDir: string;
  pipeline: string;
  /** Host path of the current pipeline's tree (writable). */
  tree: string;
  inputs: Record<string, ResolvedInput>;
  devices: Record<string, ResolvedDevice>;
  mounts: ResolvedMount[];
  /** Filesystems created on devices in this pipeline, built when first needed (see filesystems.ts). */
  fs: FilesystemJobs;
  /** Binds every builder call needs (work dir, read-only input trees). */
  binds: Bind[];
  signal?: AbortSignal;
  log: (msg: string) => void;
  /**
   * When set, tool calls without stdin or extra environment are queued here instead of run, and run-manifest
   * runs the queue as one builder script before the next stage that needs the disk or at the end of the
   * pipeline: consecutive tree stages (mkdir, copy, chmod, …) then cost one container start, not one each.
   */
  queue?: QueuedTool[];
}

export interface QueuedTool {
  argv: string[];
  what: string;
  binds: Bind[];
  fix?: string;
}

export type StageImpl = (stage: Stage, env: StageEnv) => Promise<void>;

/** Run a tool in the builder with the run's binds; throw a Day0Error naming the stage when it fails. */
export async function tool(env: StageEnv, argv: string[], what: string, extra: { binds?: Bind[]; input?: string | Buffer; timeoutMs?: number; fix?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  if (env.queue && extra.input === undefined && extra.env === undefined) {
    env.queue.push({ argv, what, binds: [...env.binds, ...(extra.binds ?? [])], ...(extra.fix ? { fix: extra.fix } : {}) });
    return { exitCode: 0, stdout: '', stderr: '', killed: false, timedOut: false };
  }
  const res = await env.exec.run({
    argv,
    binds: [...env.binds, ...(extra.binds ?? [])],
    ...(extra.input !== undefined ? { input: extra.input } : {}),
    ...(extra.env ? { env: extra.env } : {}),
    ...(env.signal ? { signal: env.signal } : {}),
    timeoutMs: extra.timeoutMs ?? 30 * 60_000,
    label: what,
  });
  return check(res, `${what} (pipeline ${env.pipeline})`, extra.fix ?? 'see the tool output above; run `day0 doctor` to check the builder image');
}

/** Options of a stage, typed loosely (the manifest was validated against osbuild's schemas). */
export function opts<T = Record<string, unknown>>(stage: Stage): T {
  return (stage.options ?? {}) as T;
}

/** Quote a string for sh. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Run several commands as one sh script in the builder (one container start instead of many). */
export async function script(env: StageEnv, commands: string[][], what: string, extra: Parameters<typeof tool>[3] = {}): Promise<void> {
  if (commands.length === 0) return;
  await tool(env, ['sh', '-c', ['set -e', ...commands.map((c) => c.map(shq).join(' '))].join('\n')], what, extra);
}

/** Run queued tool calls as one sh script in the builder; a failure names the step that failed. */
export async function runQueue(exec: Executor, queue: QueuedTool[], pipeline: string, signal?: AbortSignal): Promise<void> {
  if (queue.length === 0) return;
  const steps = queue.splice(0, queue.length);
  const lines = ['set -e'];
  steps.forEach((q, i) => lines.push(`printf 'day0-step %d\\n' ${i} >&2`, q.argv.map(shq).join(' ')));
  const binds = new Map<string, Bind>();
  for (const b of steps.flatMap((q) => q.binds)) {
    const prev = binds.get(b.path);
    binds.set(b.path, { path: b.path, ...(b.readonly && (prev === undefined || prev.readonly) ? { readonly: true } : {}) });
  }
  const res = await exec.run({ argv: ['sh', '-c', lines.join('\n')], binds: [...binds.values()], ...(signal ? { signal } : {}), timeoutMs: 30 * 60_000, label: `${pipeline}: ${steps.length} steps` });
  if (res.exitCode === 0 && !res.killed) return;
  const m = [...res.stderr.matchAll(/day0-step (\d+)/g)].pop();
  const step = steps[m ? Number(m[1]) : 0]!;
  const stderr = res.stderr.replace(/^day0-step \d+\n/gm, '');
  check({ ...res, stderr }, `${step.what} (pipeline ${pipeline})`, step.fix ?? 'see the tool output above; run `day0 doctor` to check the builder image');
}
