// Slow or stuck? A boot has two limits: a stall window (no new console line for `stallMs`: the guest is stuck)
// and a generous overall limit (the guest is still printing, just slowly: a loaded host). Pure: the runner asks
// `limitReached` on a timer and stops QEMU with the verdict it returns.

export interface BootLimits {
  /** No new console line for this long: stuck. */
  stallMs: number;
  /** From QEMU's start: give up even though the console is still progressing. */
  overallMs: number;
}

/** Default stall window: far longer than any quiet phase of a healthy boot, even 5x slowed down. */
export const DEFAULT_STALL_S = 300;
/** Default overall limit: a healthy guest on a loaded host (5x the 30–120 s quiet figures) stays well inside. */
export const DEFAULT_OVERALL_S = 1800;

export interface LimitHit {
  verdict: 'fail' | 'timeout';
  kind: 'stalled' | 'timeout';
  reason: string;
}

const secs = (ms: number) => Math.round(ms / 1000);

/**
 * Which limit, if any, has fired at `now` for a boot started at `startedAt` whose last console line came at
 * `lastLineAt` (the start when there has been none). The stall window wins when both fire at once: a guest
 * that has been silent that long is stuck, whatever the overall clock says.
 */
export function limitReached(l: BootLimits, startedAt: number, lastLineAt: number, now: number): LimitHit | undefined {
  const silent = now - Math.max(startedAt, lastLineAt);
  if (silent >= l.stallMs) {
    return {
      verdict: 'fail',
      kind: 'stalled',
      reason: `no console output for ${secs(l.stallMs)} s (stalled), ${secs(now - startedAt)} s into the boot`,
    };
  }
  if (now - startedAt >= l.overallMs) {
    return {
      verdict: 'timeout',
      kind: 'timeout',
      reason: `overall limit ${secs(l.overallMs)} s reached while still progressing (last console line ${secs(silent)} s before)`,
    };
  }
  return undefined;
}

/** Milliseconds until the next limit could fire (for the runner's timer); at least 1. */
export function nextCheckIn(l: BootLimits, startedAt: number, lastLineAt: number, now: number): number {
  const stallAt = Math.max(startedAt, lastLineAt) + l.stallMs;
  const overallAt = startedAt + l.overallMs;
  return Math.max(1, Math.min(stallAt, overallAt) - now);
}

/** The limits for a boot: the stall window never exceeds the overall limit. */
export function bootLimits(overallS: number, stallS: number = DEFAULT_STALL_S): BootLimits {
  return { overallMs: overallS * 1000, stallMs: Math.min(stallS, overallS) * 1000 };
}
