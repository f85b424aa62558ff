// Spawning a process with day0's rules: output collected or streamed, stdin for secrets, killed on abort,
// timeout and Ctrl-C. Both executors use this.
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import { onCleanup } from '../util/cleanup.js';
import { Day0Error } from '../util/errors.js';
import type { RunResult, RunSpec } from './types.js';

export interface SpawnExtra {
  /** Extra environment for the spawned program itself (e.g. podman's, carrying -e KEY values). */
  env?: Record<string, string>;
  /** Called when the process must be stopped from outside (abort, timeout, Ctrl-C), before the kill. */
  stop?: () => Promise<void> | void;
  /** Give the process a stdin pipe that stays open (never written) while this process lives. */
  holdStdin?: boolean;
}

export async function spawnCollect(argv: string[], spec: RunSpec, extra: SpawnExtra = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnCollect: empty argv');
  const child = execa(file, args, {
    env: { ...extra.env },
    extendEnv: true,
    input: spec.input,
    stdin: spec.input !== undefined ? undefined : extra.holdStdin ? 'pipe' : 'ignore',
    reject: false,
    buffer: true,
    encoding: 'utf8',
    stripFinalNewline: false,
    cancelSignal: spec.signal,
    timeout: spec.timeoutMs,
    forceKillAfterDelay: 3000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const reg = onCleanup(`process ${spec.label ?? file}`, async () => {
    await extra.stop?.();
    child.kill('SIGTERM');
    await child.catch(() => undefined);
  });
  // Decode each stream statefully so a UTF-8 character split across chunks stays whole.
  const stream = (s: NodeJS.ReadableStream | null, cb: ((t: string) => void) | undefined) => {
    if (!s || !cb) return;
    const dec = new StringDecoder('utf8');
    s.on('data', (d: Buffer) => cb(dec.write(d)));
    s.on('end', () => {
      const rest = dec.end();
      if (rest) cb(rest);
    });
  };
  stream(child.stdout, spec.onStdout);
  stream(child.stderr, spec.onStderr);
  // Stop at once on abort or timeout (a container's main process may ignore the SIGTERM podman forwards).
  let stopped: Promise<void> | undefined;
  const stopNow = () => (stopped ??= Promise.resolve(extra.stop?.()).catch(() => undefined));
  spec.signal?.addEventListener('abort', stopNow, { once: true });
  const timer = spec.timeoutMs ? setTimeout(stopNow, spec.timeoutMs) : undefined;
  if (spec.stdoutTo) child.stdout?.pipe(spec.stdoutTo);
  let timedOut = false;
  try {
    const r = await child;
    timedOut = r.timedOut;
    if (r.failed && r.exitCode === undefined && !r.isTerminated && !r.timedOut && !r.isCanceled) {
      if ((r as { code?: string }).code === 'ENOENT') {
        throw new Day0Error(`cannot run ${file}: not found`, { fix: `install ${file}, or run day0 with the podman executor` });
      }
    }
    if (r.isCanceled || r.timedOut) await stopNow();
    return {
      exitCode: r.exitCode ?? -1,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : '',
      killed: r.isTerminated || r.isCanceled || r.timedOut,
      timedOut,
    };
  } finally {
    if (timer) clearTimeout(timer);
    spec.signal?.removeEventListener('abort', stopNow);
    await stopped;
    reg.release();
  }
}

/** Throw a Day0Error when a run failed, with the last lines of its stderr. */
export function check(res: RunResult, what: string, fix?: string): RunResult {
  if (res.exitCode === 0 && !res.killed) return res;
  const tail = res.stderr.trim().split('\n').slice(-12).join('\n    ');
  const why = res.timedOut ? 'timed out' : res.killed ? 'was stopped' : `exited ${res.exitCode}`;
  throw new Day0Error(`${what} ${why}${tail ? `:\n    ${tail}` : ''}`, fix === undefined ? {} : { fix });
}
