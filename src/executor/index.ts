import type { Day0Config } from '../config/config.js';
import { HostExecutor } from './host.js';
import { PodmanExecutor } from './podman.js';
import type { Executor } from './types.js';

export type { Bind, Executor, RunResult, RunSpec } from './types.js';
export { check } from './run.js';

export function makeExecutor(cfg: Day0Config): Executor {
  return cfg.executor.mode === 'host' ? new HostExecutor() : new PodmanExecutor(cfg);
}
