// Where image tooling runs. Paths are the same on both sides: the podman executor bind-mounts every path it is
// given at the same location inside the builder container, so callers build argv with host paths either way.
import type { Writable } from 'node:stream';

export interface Bind {
  path: string;
  readonly?: boolean;
}

export interface RunSpec {
  argv: string[];
  /** Host paths the command reads or writes (bind-mounted at the same path in the builder). */
  binds?: Bind[];
  /** Environment for the command. Values never appear in process arguments. */
  env?: Record<string, string>;
  /** Data for stdin: the way to hand over secrets (Ignition configs, credentials). */
  input?: string | Buffer;
  /** Where output goes: collected (default) or streamed as it arrives. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  stdoutTo?: Writable;
  network?: 'none' | 'host';
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Short label for messages ("mkfs.xfs", "qemu x86_64 iso-bios"). */
  label?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Killed by signal, abort or timeout. */
  killed: boolean;
  timedOut: boolean;
}

export interface Executor {
  readonly mode: 'podman' | 'host';
  /** Run to completion; a non-zero exit is returned, not thrown (use `check`). */
  run(spec: RunSpec): Promise<RunResult>;
  /** What this executor runs in, for reports (e.g. "podman localhost/day0/builder@sha256:…"). */
  describe(): string;
}
