// Errors that tell the user what went wrong and what to do about it.
// Every failure a user can cause or fix is a Day0Error: `message` names the problem, `fix` the remedy.
// The CLI prints both and exits with `exitCode` (default 1). Messages must never carry Ignition content
// or registry credentials.

export class Day0Error extends Error {
  readonly fix: string | undefined;
  readonly exitCode: number;

  constructor(message: string, opts: { fix?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'Day0Error';
    this.fix = opts.fix;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A required external program is missing. */
export class MissingToolError extends Day0Error {
  constructor(tool: string, how: string) {
    super(`required tool not found: ${tool}`, { fix: how, exitCode: 2 });
    this.name = 'MissingToolError';
  }
}

export function formatError(err: unknown): string {
  if (err instanceof Day0Error) {
    return `error: ${err.message}${err.fix ? `\n  fix: ${err.fix}` : ''}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
