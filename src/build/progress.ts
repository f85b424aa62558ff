// Progress of `day0 build` and `day0 check-boot` on stderr, in the mode `--progress` asks for (see
// checkboot/live-status.ts): a live line per running step and boot on a terminal, plain lines in logs, JSON events
// for CI and wrappers, nothing with --quiet. Steps and messages go through here; boot checks drive `status`.
import { chooseMode, LiveStatus, type ProgressFlag, type StatusStream } from '../checkboot/live-status.js';

export const PROGRESS_MODES: readonly ProgressFlag[] = ['auto', 'tty', 'plain', 'json', 'none'];

export class Progress {
  constructor(readonly status: LiveStatus) {}

  /**
   * --quiet silences all but --progress json; --json (the result on stdout) silences auto progress too, so that a
   * wrapper reading stdout gets no terminal noise unless it asks for events.
   */
  static forOptions(o: { quiet?: boolean; json?: boolean; progress?: ProgressFlag }, stream: StatusStream = process.stderr): Progress {
    const flag = o.progress ?? 'auto';
    const quiet = Boolean(o.quiet) || (Boolean(o.json) && flag === 'auto');
    return new Progress(new LiveStatus({ mode: chooseMode(flag, stream, quiet), stream }));
  }

  /** A lasting line (plain and tty modes). */
  info(msg: string): void {
    this.status.message(msg);
  }

  /** Run a step: a live line while it runs, its duration when done (a step-start/step-end event pair in JSON). */
  async step<T>(name: string, fn: () => Promise<T>, doneNote?: (r: T) => string): Promise<T> {
    this.status.stepStart(name);
    try {
      const r = await fn();
      this.status.stepEnd(name, true, doneNote?.(r));
      return r;
    } catch (err) {
      this.status.stepEnd(name, false);
      throw err;
    }
  }

  close(): void {
    this.status.close();
  }
}
