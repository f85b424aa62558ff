// `day0 doctor`: each thing a build needs, checked for real, one result per check with a fix for each failure.
import { statfs, access, constants } from 'node:fs/promises';
import { execa } from 'execa';
import type { Day0Config } from '../config/config.js';
import type { Executor } from '../executor/types.js';
import { probeAccel } from '../qemu/accel.js';
import type { Profile } from '../profiles/schema.js';
import { cacheDir } from '../util/paths.js';
import { mkdir } from 'node:fs/promises';

export type Status = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
  /** A failing required check makes doctor exit non-zero; warnings never do. */
  required: boolean;
}

/** Tools a build runs inside the executor. */
export const BUILDER_TOOLS = [
  'skopeo', 'umoci', 'xorriso', 'mformat', 'mcopy', 'mkfs.fat', 'mkfs.ext4', 'mkfs.xfs', 'mksquashfs', 'mkfs.erofs',
  'grub-mkimage', 'qemu-img', 'cpio', 'xz', 'zstd', 'sfdisk', 'losetup',
];

export interface DoctorEnv {
  cfg: Day0Config;
  exec: Executor;
  profile: Profile;
  minFreeGiB?: number;
}

type Check = (env: DoctorEnv) => Promise<Omit<CheckResult, 'name' | 'required'>>;

const checks: { name: string; required: boolean; podmanOnly?: boolean; usesExecutor?: boolean; run: Check }[] = [
  {
    name: 'node',
    required: true,
    run: async () => {
      const major = Number(process.versions.node.split('.')[0]);
      return major >= 20
        ? { status: 'ok', detail: `Node ${process.versions.node}` }
        : { status: 'fail', detail: `Node ${process.versions.node} is too old`, fix: 'install Node 20 or newer' };
    },
  },
  {
    name: 'podman',
    required: true,
    podmanOnly: true,
    run: async ({ cfg }) => {
      const r = await execa(cfg.podman.binary, [...cfg.podman.global_args, '--version'], { reject: false });
      return r.exitCode === 0
        ? { status: 'ok', detail: String(r.stdout).trim() }
        : { status: 'fail', detail: `${cfg.podman.binary} not found or not working`, fix: 'install podman (apt-get install podman runc / dnf install podman)' };
    },
  },
  {
    name: 'builder image',
    required: true,
    podmanOnly: true,
    run: async ({ cfg }) => {
      const img = cfg.executor.builder_image;
      const r = await execa(cfg.podman.binary, [...cfg.podman.global_args, 'image', 'inspect', '--format', '{{.Id}}', img], { reject: false });
      return r.exitCode === 0
        ? { status: 'ok', detail: `${img} (${String(r.stdout).trim().slice(0, 12)})` }
        : { status: 'fail', detail: `${img} is not in podman's image store`, fix: 'build it: bash hack/builder-image.sh (or set executor.builder_image / DAY0_BUILDER_IMAGE)' };
    },
  },
  {
    name: 'privileged run',
    usesExecutor: true,
    required: true,
    run: async ({ exec }) => {
      const r = await exec.run({ argv: ['sh', '-c', 'test -w /dev/loop-control && echo privileged'], timeoutMs: 60_000, label: 'privileged probe' });
      if (r.exitCode === 0 && r.stdout.includes('privileged')) return { status: 'ok', detail: `${exec.describe()}: privileged, /dev/loop-control writable` };
      const err = r.stderr.trim().split('\n').slice(-2).join(' | ');
      return {
        status: 'fail',
        detail: `cannot run a privileged command in ${exec.describe()}${err ? `: ${err}` : ''}`,
        fix: exec.mode === 'podman'
          ? 'run as root; on Debian 12 hosts run `sudo bash hack/podman-setup.sh` (runc, cgroupfs, explicit ulimits) or set [podman] run_args in ~/.config/day0/config.toml'
          : 'run day0 as root inside a --privileged container',
      };
    },
  },
  {
    name: 'builder tools',
    usesExecutor: true,
    required: true,
    run: async ({ exec }) => {
      const script = `for t in ${BUILDER_TOOLS.join(' ')}; do command -v "$t" >/dev/null || echo "$t"; done`;
      const r = await exec.run({ argv: ['sh', '-c', script], timeoutMs: 60_000, label: 'tool check' });
      const missing = r.stdout.split('\n').filter(Boolean);
      if (r.exitCode !== 0) return { status: 'fail', detail: 'could not list tools', fix: 'see the privileged run check' };
      return missing.length === 0
        ? { status: 'ok', detail: `${BUILDER_TOOLS.length} tools present` }
        : { status: 'fail', detail: `missing: ${missing.join(', ')}`, fix: exec.mode === 'podman' ? 'rebuild the builder image: bash hack/builder-image.sh' : 'install them (see builder/Containerfile for the Debian package names)' };
    },
  },
  {
    name: 'loop devices',
    usesExecutor: true,
    required: true,
    run: async ({ exec }) => {
      const r = await exec.run({ argv: ['losetup', '-f'], timeoutMs: 30_000, label: 'losetup -f' });
      return r.exitCode === 0
        ? { status: 'ok', detail: `next free: ${r.stdout.trim()}` }
        : { status: 'fail', detail: `no free loop device: ${r.stderr.trim()}`, fix: 'modprobe loop (max_loop=16) or free some: losetup -D' };
    },
  },
  {
    name: 'free disk',
    required: true,
    run: async ({ minFreeGiB = 10 }) => {
      const dir = cacheDir();
      await mkdir(dir, { recursive: true });
      const s = await statfs(dir);
      const gib = (s.bavail * s.bsize) / 2 ** 30;
      return gib >= minFreeGiB
        ? { status: 'ok', detail: `${gib.toFixed(1)} GiB free in ${dir}` }
        : { status: 'fail', detail: `only ${gib.toFixed(1)} GiB free in ${dir} (need ${minFreeGiB})`, fix: 'free space, run `day0 cache prune`, or point DAY0_CACHE at a larger disk' };
    },
  },
  {
    name: 'qemu',
    usesExecutor: true,
    required: true,
    run: async ({ exec, profile }) => {
      const r = await exec.run({ argv: [profile.qemu.binary, '--version'], timeoutMs: 30_000, label: 'qemu --version' });
      return r.exitCode === 0
        ? { status: 'ok', detail: r.stdout.split('\n')[0] ?? '' }
        : { status: 'fail', detail: `${profile.qemu.binary} not available in ${exec.describe()}`, fix: 'rebuild the builder image (bash hack/builder-image.sh) or install qemu-system' };
    },
  },
  {
    name: 'qemu acceleration',
    usesExecutor: true,
    required: false,
    run: async ({ exec, profile }) => {
      const kvm = await access('/dev/kvm', constants.F_OK).then(() => true, () => false);
      const p = await probeAccel(exec, profile);
      if (p.accel === 'kvm') return { status: 'ok', detail: p.reason };
      return {
        status: 'warn',
        detail: p.reason,
        fix: kvm ? 'boot checks use TCG (about 10× slower); enable nested virtualisation for KVM' : 'boot checks use TCG; load kvm_intel/kvm_amd for KVM',
      };
    },
  },
];

export async function runDoctor(env: DoctorEnv): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let podmanBroken = false;
  for (const c of checks) {
    if (c.podmanOnly && env.exec.mode !== 'podman') continue;
    if (podmanBroken && c.usesExecutor) {
      // Only checks that run something in the builder depend on it; an optional one is a warning, not a failure.
      results.push({ name: c.name, status: c.required ? 'fail' : 'warn', detail: 'skipped: the builder is not usable', fix: 'fix the checks above first', required: c.required });
      continue;
    }
    let r: Omit<CheckResult, 'name' | 'required'>;
    try {
      r = await c.run(env);
    } catch (err) {
      r = { status: 'fail', detail: (err as Error).message, fix: 'see the message' };
    }
    results.push({ name: c.name, required: c.required, ...r });
    if (c.podmanOnly && r.status === 'fail') podmanBroken = true;
  }
  return results;
}
