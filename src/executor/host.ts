// Host executor: run tools directly. For when day0 already runs inside a privileged container (the builder
// image itself), or on a host that has the tools installed.
import { spawnCollect } from './run.js';
import type { Executor, RunResult, RunSpec } from './types.js';

export class HostExecutor implements Executor {
  readonly mode = 'host' as const;
  run(spec: RunSpec): Promise<RunResult> {
    return spawnCollect(spec.argv, spec, { env: spec.env ?? {} });
  }
  describe(): string {
    return 'host';
  }
}
