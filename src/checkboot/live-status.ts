// What a boot check is doing, while it does it, on stderr:
//   tty    one live line per running cell (cell, phase, elapsed, last console line), redrawn in place, and one
//          lasting summary line when each cell ends (log-update; colour by picocolors, off under NO_COLOR);
//   plain  one line per step, phase change and verdict, for logs;
//   json   one JSON object per line: {"event":"step-start"|"step-end"|"cell-phase"|"verdict", …}, for CI and wrappers;
//   quiet  nothing.
// The clock and the stream are injectable, so the plain and JSON outputs are tested as text.
import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import picocolors from 'picocolors';

export type LiveMode = 'tty' | 'plain' | 'json' | 'quiet';

/** What `--progress` takes (auto: tty on a terminal, else plain). */
export type ProgressFlag = 'auto' | 'tty' | 'plain' | 'json' | 'none';

export interface CellInfo {
  arch?: string;
  medium?: string;
  firmware?: string;
}

export interface CellVerdict {
  verdict: 'pass' | 'fail' | 'timeout';
  kind?: string;
  reason?: string;
  /** Seconds from QEMU start to the marker or the verdict. */
  seconds: number;
}

export type LiveEvent =
  | { event: 'step-start'; time: string; step: string }
  | { event: 'step-end'; time: string; step: string; ok: boolean; seconds: number; note?: string }
  | ({ event: 'cell-phase'; time: string; cell: string; phase: string; previous: string | null; at: number; line?: string } & CellInfo)
  | ({ event: 'verdict'; time: string; cell: string } & CellInfo & CellVerdict);

/** A writable terminal-ish stream: what LiveStatus needs of process.stderr. */
export interface StatusStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface LiveStatusOptions {
  mode: LiveMode;
  /** Default: process.stderr. */
  stream?: StatusStream;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Colour in tty mode (default: colourFor(stream, process.env)). */
  color?: boolean;
  /** tty redraw period in ms (default 500; 0 = only on changes, for tests). */
  refreshMs?: number;
}

/** The mode for a `--progress` value, on this stream; --quiet wins over everything but json. */
export function chooseMode(flag: ProgressFlag | undefined, stream: StatusStream = process.stderr, quiet = false): LiveMode {
  if (flag === 'json') return 'json';
  if (quiet || flag === 'none') return 'quiet';
  if (flag === 'tty' || flag === 'plain') return flag;
  return stream.isTTY ? 'tty' : 'plain';
}

/** Colour only on a terminal, never when NO_COLOR is set (non-empty) or TERM=dumb; FORCE_COLOR turns it on. */
export function colourFor(stream: StatusStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

interface Running extends CellInfo {
  cell: string;
  phase: string;
  startedAt: number;
  lastLine: string;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class LiveStatus {
  readonly mode: LiveMode;
  private readonly stream: StatusStream;
  private readonly now: () => number;
  private readonly pc: ReturnType<typeof picocolors.createColors>;
  private readonly running = new Map<string, Running>();
  private readonly steps = new Map<string, number>();
  private readonly log: ReturnType<typeof createLogUpdate> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private closed = false;

  constructor(opts: LiveStatusOptions) {
    this.mode = opts.mode;
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.pc = picocolors.createColors(this.mode === 'tty' && (opts.color ?? colourFor(this.stream)));
    if (this.mode === 'tty') {
      this.log = createLogUpdate(this.stream as NodeJS.WriteStream, { showCursor: true });
      const every = opts.refreshMs ?? 500;
      if (every > 0) {
        this.timer = setInterval(() => this.render(), every);
        this.timer.unref();
      }
    }
  }

  private emit(e: LiveEvent): void {
    this.stream.write(`${JSON.stringify(e)}\n`);
  }

  private time(): string {
    return new Date(this.now()).toISOString();
  }

  /** A lasting line: above the live lines on a terminal, as is otherwise; nothing in json/quiet mode. */
  message(text: string): void {
    if (this.mode === 'tty') this.log!.persist(text);
    else if (this.mode === 'plain') this.stream.write(`${text}\n`);
  }

  stepStart(step: string): void {
    this.steps.set(step, this.now());
    if (this.mode === 'json') this.emit({ event: 'step-start', time: this.time(), step });
    else if (this.mode === 'plain') this.stream.write(`day0: ${step} …\n`);
    else if (this.mode === 'tty') this.render();
  }

  /** The step ended; `note` is a short result ("192 MiB"), shown beside it. */
  stepEnd(step: string, ok = true, note?: string): void {
    const t0 = this.steps.get(step) ?? this.now();
    this.steps.delete(step);
    const seconds = round1((this.now() - t0) / 1000);
    const n = note ? ` (${note})` : '';
    if (this.mode === 'json') this.emit({ event: 'step-end', time: this.time(), step, ok, seconds, ...(note ? { note } : {}) });
    else if (this.mode === 'plain') this.stream.write(`day0: ${ok ? '✔' : '✘'} ${step}${n} [${seconds.toFixed(1)} s]\n`);
    else if (this.mode === 'tty') {
      this.log!.persist(`${ok ? this.pc.green('✔') : this.pc.red('✘')} ${step}${n} ${this.pc.dim(`[${seconds.toFixed(1)} s]`)}`);
      this.render();
    }
  }

  /** A cell's QEMU has started: it is in the firmware phase. */
  cellStart(cell: string, info: CellInfo = {}): void {
    this.running.set(cell, { cell, ...info, phase: 'firmware', startedAt: this.now(), lastLine: '' });
    this.phaseOut(cell, 'firmware', null, 0, undefined);
  }

  /** The cell moved to `phase` (from PhaseTracker.push), `at` seconds after its QEMU started. */
  cellPhase(cell: string, change: { phase: string; previous?: string | undefined; t: number; line?: string }): void {
    const r = this.running.get(cell);
    const previous = change.previous ?? r?.phase ?? null;
    if (r) r.phase = change.phase;
    this.phaseOut(cell, change.phase, previous, change.t, change.line);
  }

  /** The cell's latest console line (shown on a terminal only). */
  cellLine(cell: string, line: string): void {
    const r = this.running.get(cell);
    if (r && line.trim()) r.lastLine = line.trim();
  }

  cellVerdict(cell: string, v: CellVerdict, info: CellInfo = {}): void {
    const r = this.running.get(cell);
    this.running.delete(cell);
    const ci = pickInfo({ ...r, ...info });
    const seconds = round1(v.seconds);
    if (this.mode === 'json') {
      this.emit({ event: 'verdict', time: this.time(), cell, ...ci, verdict: v.verdict, ...(v.kind ? { kind: v.kind } : {}), ...(v.reason ? { reason: v.reason } : {}), seconds });
      return;
    }
    const text = v.verdict === 'pass' ? `pass in ${seconds.toFixed(1)} s` : `${v.verdict} after ${seconds.toFixed(1)} s${v.reason ? `: ${v.reason}` : v.kind ? `: ${v.kind}` : ''}`;
    if (this.mode === 'plain') this.stream.write(`day0: ${cell}: ${text}\n`);
    else if (this.mode === 'tty') {
      const mark = v.verdict === 'pass' ? this.pc.green('✔') : v.verdict === 'timeout' ? this.pc.yellow('✘') : this.pc.red('✘');
      this.log!.persist(this.fit(`${mark} ${this.pc.bold(cell)}  ${v.verdict === 'pass' ? text : this.pc.red(text)}`));
      this.render();
    }
  }

  /** Stop redrawing; leaves the last lasting lines (and removes the live ones). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.log) {
      this.log.clear();
      this.log.done();
    }
  }

  private phaseOut(cell: string, phase: string, previous: string | null, at: number, line: string | undefined): void {
    if (this.mode === 'json') {
      const ci = pickInfo(this.running.get(cell) ?? {});
      this.emit({ event: 'cell-phase', time: this.time(), cell, ...ci, phase, previous, at: round1(at), ...(line ? { line } : {}) });
    } else if (this.mode === 'plain') {
      this.stream.write(`day0: ${cell}: ${phase} at ${round1(at).toFixed(1)} s\n`);
    } else if (this.mode === 'tty') {
      this.render();
    }
  }

  private fit(s: string): string {
    const cols = this.stream.columns ?? 80;
    return cliTruncate(s, Math.max(20, cols - 1));
  }

  /** Redraw the live lines (tty only). */
  render(): void {
    if (this.mode !== 'tty' || this.closed) return;
    const now = this.now();
    const spin = SPINNER[this.frame++ % SPINNER.length]!;
    const lines: string[] = [];
    for (const [step, t0] of this.steps) lines.push(this.fit(`${this.pc.cyan(spin)} ${step} ${this.pc.dim(formatElapsed((now - t0) / 1000))}`));
    const w = Math.max(0, ...[...this.running.keys()].map((c) => c.length));
    const pw = Math.max(0, ...[...this.running.values()].map((r) => r.phase.length));
    for (const r of this.running.values()) {
      const head = `${this.pc.cyan(spin)} ${this.pc.bold(r.cell.padEnd(w))}  ${this.pc.yellow(r.phase.padEnd(pw))}  ${formatElapsed((now - r.startedAt) / 1000).padStart(5)}`;
      lines.push(this.fit(r.lastLine ? `${head}  ${this.pc.dim(r.lastLine)}` : head));
    }
    this.log!(lines.join('\n'));
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function pickInfo(x: CellInfo): CellInfo {
  return {
    ...(x.arch ? { arch: x.arch } : {}),
    ...(x.medium ? { medium: x.medium } : {}),
    ...(x.firmware ? { firmware: x.firmware } : {}),
  };
}
