// Boot a medium under QEMU and watch its serial console until the marker, a recognised failure, QEMU's exit,
// a stall (no new console line for the stall window) or the overall limit (see limits.ts). The one QEMU runner in day0: tests, `check-boot` and `build --check-boot` all use it.
import { createWriteStream } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bind, Executor } from '../executor/types.js';
import { bootMode } from '../profiles/boot.js';
import { qemuArgv, serconBytes, type QemuPlan } from './args.js';
import { classifyLine, ConsoleTail, type ConsoleFinding } from './console.js';
import { bootLimits, limitReached, nextCheckIn, type BootLimits, type LimitHit } from './limits.js';

export type Verdict = 'pass' | 'fail' | 'timeout';

export interface BootOutcome {
  verdict: Verdict;
  /**
   * Failure kind or 'qemu-exit' / 'stalled' (no console progress for the stall window) / 'timeout' (the overall
   * limit, still progressing) / 'interrupted' (Ctrl-C, not the guest's doing); absent on pass.
   */
  kind?: ConsoleFinding['kind'] | 'qemu-exit' | 'stalled' | 'timeout' | 'not-bootable' | 'interrupted';
  reason?: string;
  /** Seconds from QEMU start to the marker (pass) or to the verdict. */
  seconds: number;
  lastLines: string[];
  consoleLog: string;
  /** Console lines that matched `expect` patterns, by pattern. */
  matched: Record<string, string>;
}

export interface BootWatch {
  /** Line content that means success (a per-run nonce). */
  marker: string;
  /** Line content written by the guest when its own checks failed (e.g. an expected file is missing). */
  failMarker?: string;
  /** Overall limit from QEMU's start, however much the console progresses. */
  timeoutMs: number;
  /** Stall window: no new console line for this long ends the boot as `stalled` (default 300 s, at most timeoutMs). */
  stallMs?: number;
  /** QEMU needs the host's network (user-mode networking reaching a loopback HTTP server). */
  network?: 'none' | 'host';
  /** Dir for the console log and the UEFI vars copy; bind-mounted for the executor. */
  workDir: string;
  /** Further paths QEMU reads (the medium, kernel, initrds, fw_cfg file). */
  binds: Bind[];
  /** Extra patterns to capture from the console (e.g. a test's "layered content present" line). */
  capture?: Record<string, RegExp>;
  /** After a failure is seen, keep reading this long so the report has context. */
  graceMs?: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

export async function bootAndWatch(exec: Executor, plan: QemuPlan, watch: BootWatch): Promise<BootOutcome> {
  const consoleLog = join(watch.workDir, 'console.log');
  const log = createWriteStream(consoleLog, { mode: 0o600 });
  const tail = new ConsoleTail(60);
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  watch.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let passAt: number | undefined;
  let failure: ConsoleFinding | undefined;
  const matched: Record<string, string> = {};
  const started = Date.now();
  let graceTimer: NodeJS.Timeout | undefined;
  const limits: BootLimits = bootLimits(watch.timeoutMs / 1000, watch.stallMs !== undefined ? watch.stallMs / 1000 : undefined);
  let lastLineAt = started;
  let limitHit: LimitHit | undefined;
  let limitTimer: NodeJS.Timeout | undefined;
  const armLimits = () => {
    limitTimer = setTimeout(() => {
      if (passAt !== undefined || failure) return;
      limitHit = limitReached(limits, started, lastLineAt, Date.now());
      if (limitHit) stop.abort();
      else armLimits();
    }, nextCheckIn(limits, started, lastLineAt, Date.now()));
  };

  const fw = bootMode(plan.profile, plan.firmware).firmware;
  if (fw.serial_port && !plan.serconFile) {
    const serconFile = join(watch.workDir, 'sercon-port.bin');
    await writeFile(serconFile, serconBytes(fw.serial_port));
    plan = { ...plan, serconFile };
  }
  if (fw.load === 'pflash' && !plan.uefiVars) plan = { ...plan, uefiVars: join(watch.workDir, 'uefi-vars.fd') };
  let argv = qemuArgv(plan);
  if (fw.load === 'pflash') {
    // Copy the vars template where QEMU runs (it lives in the builder image), then exec QEMU.
    argv = ['sh', '-c', 'cp "$1" "$2" && shift 2 && exec "$@"', 'sh', fw.vars!, plan.uefiVars!, ...argv];
  }
  const m = plan.medium;
  if (m.kind === 'netboot' && m.httpRoot) {
    // The guest's HTTP server, beside QEMU in the same (private) network namespace: QEMU's user networking maps
    // 10.0.2.2:80 to 127.0.0.1:80 there. It ends with the container.
    argv = ['sh', '-c', 'python3 -m http.server 80 --bind 127.0.0.1 --directory "$1" >/dev/null 2>&1 & shift; exec "$@"', 'sh', m.httpRoot, ...argv];
  }

  const onStdout = (chunk: string) => {
    log.write(chunk);
    for (const line of tail.push(chunk)) {
      lastLineAt = Date.now();
      watch.onLine?.(line);
      for (const [name, re] of Object.entries(watch.capture ?? {})) if (!(name in matched) && re.test(line)) matched[name] = line.trim();
      if (passAt === undefined && !failure && line.includes(watch.marker)) {
        passAt = Date.now();
        stop.abort();
      } else if (passAt === undefined && !failure) {
        const f = watch.failMarker && line.includes(watch.failMarker)
          ? { kind: 'expectation-failed' as const, reason: 'boot-check expectations failed', line: line.trim() }
          : classifyLine(line);
        if (f) {
          failure = f;
          graceTimer = setTimeout(() => stop.abort(), watch.graceMs ?? 3000);
        }
      }
    }
  };

  armLimits();
  const res = await exec.run({
    argv,
    binds: [{ path: watch.workDir }, ...watch.binds],
    onStdout,
    signal: stop.signal,
    // A backstop only: the limits above end the boot first, with a verdict that says which one fired.
    timeoutMs: watch.timeoutMs + 60_000,
    network: watch.network ?? 'none',
    label: `qemu ${plan.medium.kind}/${plan.firmware}`,
  });
  if (graceTimer) clearTimeout(graceTimer);
  if (limitTimer) clearTimeout(limitTimer);
  watch.signal?.removeEventListener('abort', onOuterAbort);
  await new Promise<void>((resolve) => log.end(resolve));
  await chmod(consoleLog, 0o600);

  const seconds = ((passAt ?? Date.now()) - started) / 1000;
  const base = { seconds: Math.round(seconds * 10) / 10, lastLines: tail.last(25), consoleLog, matched };
  if (passAt !== undefined) return { verdict: 'pass', ...base };
  if (failure) return { verdict: 'fail', kind: failure.kind, reason: `${failure.reason}: ${failure.line}`, ...base };
  if (watch.signal?.aborted) return { verdict: 'fail', kind: 'interrupted', reason: 'interrupted (the boot check was stopped before the guest finished)', ...base };
  if (limitHit) return { verdict: limitHit.verdict, kind: limitHit.kind, reason: limitHit.reason, ...base };
  if (res.timedOut) {
    return { verdict: 'timeout', kind: 'timeout', reason: `overall limit ${Math.round(watch.timeoutMs / 1000)} s reached (QEMU did not stop in time)`, ...base };
  }
  const err = res.stderr.trim().split('\n').slice(-3).join(' | ');
  return { verdict: 'fail', kind: 'qemu-exit', reason: `QEMU exited (${res.exitCode}) before the marker${err ? `: ${err}` : ''}`, ...base };
}
