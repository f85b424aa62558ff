// Slow vs stuck: the pure limit decision, and the runner ending a boot by it (a fake executor plays the guest).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, RunResult, RunSpec } from '../../../src/executor/types.js';
import { bootLimits, DEFAULT_OVERALL_S, DEFAULT_STALL_S, limitReached, nextCheckIn } from '../../../src/qemu/limits.js';
import { bootAndWatch } from '../../../src/qemu/runner.js';
import { classifyLine } from '../../../src/qemu/console.js';
import { EACH_PROFILE } from '../../helpers/profiles.js';

const L = bootLimits(1800, 300);

describe('boot limits', () => {
  it('defaults: a stall window of 300 s and an overall limit a 5x slowed healthy boot stays inside', () => {
    expect(DEFAULT_STALL_S).toBe(300);
    expect(DEFAULT_OVERALL_S).toBeGreaterThanOrEqual(5 * 120 * 2);
  });

  it('a guest that keeps printing is never stuck, however slow, until the overall limit', () => {
    expect(limitReached(L, 0, 1_700_000, 1_799_000)).toBeUndefined();
    const hit = limitReached(L, 0, 1_790_000, 1_800_000);
    expect(hit).toMatchObject({ verdict: 'timeout', kind: 'timeout' });
    expect(hit!.reason).toMatch(/^overall limit 1800 s reached while still progressing/);
  });

  it('a silent console for the stall window is stuck: fail, kind stalled, naming the window', () => {
    expect(limitReached(L, 0, 100_000, 399_999)).toBeUndefined();
    const hit = limitReached(L, 0, 100_000, 400_000);
    expect(hit).toMatchObject({ verdict: 'fail', kind: 'stalled' });
    expect(hit!.reason).toBe('no console output for 300 s (stalled), 400 s into the boot');
    // No line at all counts from the start; stalled wins when both fire.
    expect(limitReached(L, 1000, 0, 301_000)?.kind).toBe('stalled');
    expect(limitReached(bootLimits(600, 300), 0, 200_000, 600_000)?.kind).toBe('stalled');
  });

  it('the stall window never exceeds the overall limit; the next check is due at the earlier limit', () => {
    expect(bootLimits(120, 300)).toEqual({ overallMs: 120_000, stallMs: 120_000 });
    expect(nextCheckIn(L, 0, 50_000, 60_000)).toBe(290_000);
    expect(nextCheckIn(L, 0, 1_700_000, 1_750_000)).toBe(50_000);
    expect(nextCheckIn(L, 0, 0, 10_000_000)).toBe(1);
  });

  it('the demo OS refusing to go on without its config is a failure of its own', () => {
    expect(classifyLine('[  312.1] day0: FATAL: no partition labelled boot after 900 s: …')?.kind).toBe('config-missing');
  });
});

/** An executor whose "QEMU" prints `lines` every `everyMs` (then falls silent), until stopped. */
function fakeGuest(lines: number, everyMs: number): Executor {
  return {
    mode: 'host',
    describe: () => 'fake',
    run: (spec: RunSpec) => new Promise<RunResult>((resolve) => {
      let n = 0;
      const t = setInterval(() => { if (n < lines) spec.onStdout?.(`line ${n++}\n`); }, everyMs);
      spec.signal?.addEventListener('abort', () => { clearInterval(t); resolve({ exitCode: 137, stdout: '', stderr: '', killed: true, timedOut: false }); }, { once: true });
    }),
  };
}

describe('bootAndWatch ends a boot by the limit that fired', () => {
  let work: string;
  beforeAll(async () => { work = await mkdtemp(join(tmpdir(), 'day0-limits-')); });
  afterAll(async () => { await rm(work, { recursive: true, force: true }); });
  const [, profile] = EACH_PROFILE.find(([, p]) => Object.keys(p.boot).includes('bios')) ?? EACH_PROFILE[0]!;
  const firmware = Object.keys(profile.boot)[0] as 'bios';
  const boot = (exec: Executor, timeoutMs: number, stallMs: number) => bootAndWatch(exec, {
    profile, firmware, accel: 'tcg', medium: { kind: 'kernel', kernel: '/k', initrd: '/i', append: '' }, uefiVars: join(work, 'vars.fd'),
  }, { marker: 'NEVER', timeoutMs, stallMs, workDir: work, binds: [] });

  it('a guest that falls silent is stalled (fail), long before the overall limit', async () => {
    const t0 = Date.now();
    const out = await boot(fakeGuest(3, 20), 10_000, 400);
    expect(out.verdict).toBe('fail');
    expect(out.kind).toBe('stalled');
    expect(out.reason).toMatch(/^no console output for 0 s \(stalled\)/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a guest that keeps printing is a timeout at the overall limit, not stalled', async () => {
    const out = await boot(fakeGuest(1_000_000, 50), 1500, 400);
    expect(out.verdict).toBe('timeout');
    expect(out.kind).toBe('timeout');
    expect(out.reason).toMatch(/^overall limit 2 s reached while still progressing/);
    expect(out.seconds).toBeGreaterThanOrEqual(1.4);
  });
});
