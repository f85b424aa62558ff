// Which accelerator to use: KVM only when a probe guest actually answers within seconds, else TCG.
// (Where /dev/kvm exists but nested virtualisation is missing, a KVM guest hangs; the probe catches that.)
import { access, constants, writeFile } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { join } from 'node:path';
import type { Executor } from '../executor/types.js';
import type { Profile } from '../profiles/schema.js';
import { withTempDir } from '../util/tmp.js';
import type { Accel } from './args.js';

export interface AccelProbe {
  accel: Accel;
  /** Why this accelerator was chosen, for doctor and reports. */
  reason: string;
  probeMs?: number;
}

const HOST_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x' };

/** A 512-byte x86 boot sector that writes "DAY0KVM\n" to COM1 and halts: the smallest guest that answers. */
export function x86ProbeBootSector(): Buffer {
  const msg = Buffer.from('DAY0KVM\n');
  const code: number[] = [0xba, 0xf8, 0x03]; // mov dx, 0x3f8
  for (const b of msg) code.push(0xb0, b, 0xee); // mov al, b; out dx, al
  code.push(0xf4, 0xeb, 0xfd); // hlt; jmp $-1
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

let cached: Promise<AccelProbe> | undefined;

/** Slowest answer from the probe guest that still counts as working KVM. */
export const KVM_ANSWER_MS = 1500;

export function probeAccel(exec: Executor, profile: Profile, timeoutMs = 5000): Promise<AccelProbe> {
  cached ??= doProbe(exec, profile, timeoutMs);
  return cached;
}

async function doProbe(exec: Executor, profile: Profile, timeoutMs: number): Promise<AccelProbe> {
  const forced = process.env.DAY0_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return { accel: forced, reason: `DAY0_ACCEL=${forced}` };
  if ((HOST_ARCH[hostArch()] ?? hostArch()) !== profile.arch) {
    return { accel: 'tcg', reason: `host is ${hostArch()}, guest is ${profile.arch}: emulation (TCG)` };
  }
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible: TCG (slow)' };
  }
  if (profile.arch !== 'x86_64') return { accel: 'kvm', reason: '/dev/kvm present (no probe guest for this arch)' };
  return withTempDir('kvmprobe', async (dir) => {
    const img = join(dir, 'probe.img');
    await writeFile(img, x86ProbeBootSector());
    const answered = new AbortController();
    let answerMs: number | undefined;
    const started = Date.now();
    const res = await exec.run({
      argv: [profile.qemu.binary, '-machine', 'pc,accel=kvm', '-m', '64', '-nodefaults', '-display', 'none',
        '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-drive', `file=${img},format=raw,if=ide`],
      binds: [{ path: dir }],
      timeoutMs,
      signal: answered.signal,
      onStdout: (chunk) => {
        if (answerMs === undefined && chunk.includes('DAY0KVM')) {
          answerMs = Date.now() - started;
          answered.abort();
        }
      },
      label: 'kvm probe',
    });
    // A healthy KVM runs firmware + boot sector in well under a second (TCG: ~0.1 s). Nested setups without
    // hardware support answer slowly, and a full OS then hangs: treat a slow answer as no answer.
    if (answerMs !== undefined && answerMs <= KVM_ANSWER_MS) {
      return { accel: 'kvm' as const, reason: `KVM probe guest answered in ${answerMs} ms`, probeMs: answerMs };
    }
    const why = answerMs !== undefined
      ? `KVM probe guest took ${answerMs} ms (a working KVM answers within ${KVM_ANSWER_MS} ms; nested virtualisation?)`
      : res.timedOut
        ? `KVM probe guest did not answer within ${timeoutMs / 1000} s (no nested virtualisation?)`
        : `KVM probe failed: ${res.stderr.trim().split('\n').pop() ?? `exit ${res.exitCode}`}`;
    return { accel: 'tcg' as const, reason: `${why}: using TCG`, probeMs: answerMs ?? Date.now() - started };
  });
}
