// Which accelerator to use: KVM only when a probe guest actually answers within seconds, else TCG.
// (Where /dev/kvm exists but nested virtualisation is missing, a KVM guest hangs; the probe catches that.)
import { access, constants, writeFile } from 'node:fs/promises';
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

const cached = new Map<string, Promise<AccelProbe>>();

/** Slowest answer from the probe guest that still counts as working KVM. */
export const KVM_ANSWER_MS = 1500;

export function probeAccel(exec: Executor, profile: Profile, timeoutMs = 5000): Promise<AccelProbe> {
  let p = cached.get(profile.arch);
  if (!p) cached.set(profile.arch, (p = doProbe(exec, profile, timeoutMs)));
  return p;
}

async function doProbe(exec: Executor, profile: Profile, timeoutMs: number): Promise<AccelProbe> {
  const forced = process.env.DAY0_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return { accel: forced, reason: `DAY0_ACCEL=${forced}` };
  if (profile.node_arch !== process.arch) {
    return { accel: 'tcg', reason: `guest is ${profile.arch}, host is ${process.arch}: emulation (TCG)` };
  }
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible: TCG (slow)' };
  }
  // /dev/kvm alone proves nothing (nested setups hang): without a probe guest for this arch, stay on TCG.
  if (!profile.qemu.kvm_probe) return { accel: 'tcg', reason: `/dev/kvm present, but ${profile.arch} has no KVM probe guest: TCG (DAY0_ACCEL=kvm forces KVM)` };
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
