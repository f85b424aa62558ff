// Podman executor: run a command in the privileged builder container.
// - every bind is mounted at the same path, so argv built with host paths works unchanged;
// - environment values travel in podman's own environment (`-e KEY` without a value), never in argv;
// - the container has a unique name and is removed on exit, on timeout and on Ctrl-C;
// - it carries the owner's pid (label io.day0.pid): the first run of a later day0 removes containers whose owner
//   died without cleaning up (kill -9), and tests find exactly the containers of the process they started;
// - a command that takes no input runs under a watch on the container's stdin, a pipe day0 holds open: when day0
//   dies (even kill -9) the pipe closes and the watch stops the command, so the container does not run on.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import type { Day0Config } from '../config/config.js';
import { pidAlive } from '../util/stale.js';
import { spawnCollect } from './run.js';
import type { Executor, RunResult, RunSpec } from './types.js';

/**
 * PID 1 of a container whose command takes no input: runs the command with stdin from /dev/null and stops it
 * (TERM, then KILL after 3 s) once its own stdin — the pipe held by day0 — reaches end of file.
 */
export const OWNER_WATCH = [
  'exec 3<&0',
  '"$@" </dev/null & c=$!',
  `trap 'kill -TERM "$c" 2>/dev/null' TERM INT`,
  '{ cat <&3 >/dev/null 2>&1; kill -TERM "$c" 2>/dev/null; sleep 3; kill -KILL "$c" 2>/dev/null; } & w=$!',
  'wait "$c"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit $r',
].join('\n');

/** The label naming the day0 process that started a builder container. */
export const OWNER_LABEL = 'io.day0.pid';

export class PodmanExecutor implements Executor {
  readonly mode = 'podman' as const;
  private reclaimed: Promise<void> | undefined;
  constructor(private readonly cfg: Day0Config) {}

  /** argv of the `podman run` that wraps `spec` (exported for tests and `--dry-run`). */
  podmanArgv(spec: RunSpec, name: string): string[] {
    const p = this.cfg.podman;
    const argv = [p.binary, ...p.global_args, 'run', '--rm', '--privileged', '--name', name, '--pull=never'];
    argv.push('--label', `${OWNER_LABEL}=${process.pid}`);
    argv.push(`--network=${spec.network ?? 'none'}`, '--security-opt', 'label=disable', '-v', '/dev:/dev');
    argv.push('-i'); // stdin: the input, or the owner pipe OWNER_WATCH watches
    const seen = new Set<string>();
    for (const b of spec.binds ?? []) {
      if (seen.has(b.path)) continue;
      seen.add(b.path);
      argv.push('-v', `${b.path}:${b.path}${b.readonly ? ':ro' : ''}`);
    }
    for (const k of Object.keys(spec.env ?? {})) argv.push('-e', k);
    argv.push(...p.run_args, this.cfg.executor.builder_image);
    if (spec.input === undefined) argv.push('sh', '-c', OWNER_WATCH, 'day0-watch');
    argv.push(...spec.argv);
    return argv;
  }

  /** Remove builder containers whose owning day0 process is gone (once per process; failures are not fatal). */
  reclaimDeadContainers(): Promise<void> {
    this.reclaimed ??= (async () => {
      const p = this.cfg.podman;
      const ls = await execa(p.binary, [...p.global_args, 'ps', '-a', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.Names}} {{index .Labels "${OWNER_LABEL}"}}`], { reject: false });
      if (ls.exitCode !== 0) return;
      const dead = ls.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([n, pid]) => n?.startsWith('day0-') && !pidAlive(Number(pid)))
        .map(([n]) => n as string);
      if (dead.length) await execa(p.binary, [...p.global_args, 'rm', '-f', '-t', '2', ...dead], { reject: false });
    })();
    return this.reclaimed;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    await this.reclaimDeadContainers();
    const name = `day0-${randomBytes(6).toString('hex')}`;
    const argv = this.podmanArgv(spec, name);
    const stop = async () => {
      await execa(this.cfg.podman.binary, [...this.cfg.podman.global_args, 'rm', '-f', '-t', '2', name], {
        reject: false,
      });
    };
    return spawnCollect(argv, spec, { env: spec.env ?? {}, stop, holdStdin: spec.input === undefined });
  }

  describe(): string {
    return `podman ${this.cfg.executor.builder_image}`;
  }
}
