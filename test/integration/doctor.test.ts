// `day0 doctor` on this machine, through the real CLI (node bin/day0.js; dist/ must be built: npx tsc -p tsconfig.json).
// This machine has /dev/kvm but KVM guests hang, so doctor must report TCG with a reason.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'day0.js');
const CHECKS = ['node', 'podman', 'builder image', 'privileged run', 'builder tools', 'loop devices', 'free disk', 'qemu', 'qemu acceleration'];
/** KVM_ANSWER_MS in src/qemu/accel.ts: the slowest probe answer that still counts as working KVM. */
const KVM_ANSWER_MS = 1500;

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
  required: boolean;
}
interface Report {
  ok: boolean;
  executor: string;
  checks: Check[];
}

/** The environment without day0's own variables, plus `extra`. */
function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const e: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('DAY0_') && k !== 'DAY0_CACHE') delete e[k];
  return { ...e, ...extra };
}

async function doctor(args: string[], extra: Record<string, string> = {}) {
  const started = Date.now();
  const r = await execa('node', [BIN, 'doctor', ...args], { env: env(extra), extendEnv: false, reject: false, timeout: 5 * 60_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - started };
}

beforeAll(() => {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npx tsc -p tsconfig.json first');
});

describe('day0 doctor --json on this machine', () => {
  let run: Awaited<ReturnType<typeof doctor>>;
  let report: Report;
  beforeAll(async () => {
    run = await doctor(['--json']);
    report = JSON.parse(run.stdout) as Report;
  });

  it('exits 0 and says ok', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.executor).toMatch(/^podman localhost\/day0\/builder/);
  });

  it('lists every check, each with a status and a detail, and a fix for each non-ok one', () => {
    expect(report.checks.map((c) => c.name)).toEqual(CHECKS);
    for (const c of report.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(c.detail.length, c.name).toBeGreaterThan(0);
      if (c.status !== 'ok') expect(c.fix, `${c.name} needs a fix line`).toBeTruthy();
    }
    // every required check passes here; only acceleration may warn
    for (const c of report.checks.filter((x) => x.required)) expect(c.status, `${c.name}: ${c.detail}`).toBe('ok');
    expect(report.checks.find((c) => c.name === 'qemu acceleration')?.required).toBe(false);
  });

  it('found a free loop device, the builder tools and QEMU in the builder', () => {
    const by = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(by['loop devices']?.detail).toMatch(/\/dev\/loop\d+/);
    expect(by['privileged run']?.detail).toContain('/dev/loop-control writable');
    expect(by.qemu?.detail).toMatch(/QEMU emulator version/);
    expect(by['free disk']?.detail).toMatch(/GiB free in /);
  });

  it('reports QEMU acceleration honestly: status and detail agree with what the probe saw', () => {
    const a = report.checks.find((c) => c.name === 'qemu acceleration');
    expect(a).toBeDefined();
    if (!a) return;
    if (a.status === 'ok') {
      // KVM only when the probe guest answered quickly
      const m = /KVM probe guest answered in (\d+) ms/.exec(a.detail);
      expect(m, a.detail).not.toBeNull();
      expect(Number(m?.[1])).toBeLessThanOrEqual(KVM_ANSWER_MS);
    } else {
      expect(a.status).toBe('warn');
      expect(a.detail).toMatch(/TCG/);
      // and it says why
      expect(a.detail).toMatch(/KVM probe|\/dev\/kvm|host is/);
      if (existsSync('/dev/kvm')) expect(a.fix).toMatch(/nested virtualisation/);
    }
  });

  it('on this machine (/dev/kvm present, guests hang) the probe falls back to TCG', () => {
    const a = report.checks.find((c) => c.name === 'qemu acceleration');
    if (!existsSync('/dev/kvm') || a?.status === 'ok') return; // another machine: covered by the consistency test
    expect(a?.detail).toMatch(/KVM probe guest (did not answer within \d+ s|took \d+ ms)|KVM probe failed/);
    expect(a?.detail).toMatch(/using TCG$/);
  });
});

describe('day0 doctor variations', () => {
  it('prints one line per check (plus fix lines) and a verdict in text mode', async () => {
    const r = await doctor([], { DAY0_ACCEL: 'tcg' });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const name of CHECKS) expect(lines.filter((l) => new RegExp(`^[✔!✘] ${name}\\s{2,}`).test(l)), name).toHaveLength(1);
    expect(lines.at(-1)).toBe('ready to build');
    // DAY0_ACCEL forces the choice and doctor says so
    expect(lines.find((l) => l.startsWith('! qemu acceleration'))).toMatch(/DAY0_ACCEL=tcg/);
  });

  it('with a missing builder image: exits 1 and the fix names hack/builder-image.sh', async () => {
    const r = await doctor(['--json'], { DAY0_BUILDER_IMAGE: 'localhost/day0/does-not-exist' });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(false);
    const b = report.checks.find((c) => c.name === 'builder image');
    expect(b?.status).toBe('fail');
    expect(b?.detail).toContain('localhost/day0/does-not-exist');
    expect(b?.fix).toContain('hack/builder-image.sh');
    // it still lists every check
    expect(report.checks.map((c) => c.name)).toEqual(CHECKS);
  });

  it('with a missing builder image in text mode: a fix line naming hack/builder-image.sh', async () => {
    const r = await doctor([], { DAY0_BUILDER_IMAGE: 'localhost/day0/does-not-exist' });
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith('✘ builder image'));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(lines[i + 1]).toMatch(/^\s+fix: .*hack\/builder-image\.sh/);
    expect(r.stdout).toContain('not ready');
  });

  it('an invalid configuration is an error naming the field, exit 1', async () => {
    const r = await doctor([], { DAY0_EXECUTOR: 'docker' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/executor\.mode/);
    expect(r.stderr).toMatch(/fix:/);
  });
});
