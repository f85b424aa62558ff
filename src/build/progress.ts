// Progress for long steps: one line per step on a terminal (with its duration), nothing in quiet/JSON mode.
export type ProgressMode = 'tty' | 'plain' | 'quiet';

export class Progress {
  constructor(private readonly mode: ProgressMode, private readonly out: NodeJS.WritableStream = process.stderr) {}

  static forOptions(o: { quiet?: boolean; json?: boolean }): Progress {
    if (o.quiet || o.json) return new Progress('quiet');
    return new Progress((process.stderr as { isTTY?: boolean }).isTTY ? 'tty' : 'plain');
  }

  info(msg: string): void {
    if (this.mode !== 'quiet') this.out.write(`${msg}\n`);
  }

  /** Run a step, printing its name and, when done, how long it took. */
  async step<T>(name: string, fn: () => Promise<T>, doneNote?: (r: T) => string): Promise<T> {
    const t0 = Date.now();
    if (this.mode === 'tty') this.out.write(`… ${name}\r`);
    try {
      const r = await fn();
      const note = doneNote ? ` (${doneNote(r)})` : '';
      this.info(`✔ ${name}${note} [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
      return r;
    } catch (err) {
      this.info(`✘ ${name} [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
      throw err;
    }
  }
}
