// The Foundation's "done when" boot: the demo BASE image's own kernel + initramfs, with its root filesystem as
// root.squashfs in an appended rootfs.img cpio (the CoreOS PXE way), booted directly under QEMU (TCG here) with an
// Ignition config on fw_cfg whose systemd unit writes a per-run marker to the serial console. Plus a negative boot,
// concurrently: a config Ignition accepts but cannot apply (a file fetched from a dead URL) must end as
// 'ignition-failed' with console context.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { makeExecutor, type Executor } from '../../src/executor/index.js';
import type { BootableImage } from '../../src/image/types.js';
import { liveKargs } from '../../src/media/kargs.js';
import { writeRootfsCpio } from '../../src/media/pxe.js';
import { makeRootImage, type RootImage } from '../../src/media/rootfs.js';
import { loadProfile } from '../../src/profiles/load.js';
import type { Profile } from '../../src/profiles/schema.js';
import { probeAccel, type AccelProbe } from '../../src/qemu/accel.js';
import { bootAndWatch, type BootOutcome } from '../../src/qemu/runner.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const BASE = 'localhost:5000/day0/demo-base:latest';
const APPEND = 'ignition.firstboot ignition.platform.id=qemu console=ttyS0,115200n8';
const BOOT_TIMEOUT_MS = 10 * 60_000;
const NONCE = randomBytes(8).toString('hex');
/** The line the guest prints. The config carries its two halves separately, so only the guest can produce it. */
const MARKER = `DAY0-BOOT-OK-${NONCE}`;

let work: string;
let savedCache: string | undefined;
let exec: Executor;
let profile: Profile;
let accel: AccelProbe;
let img: BootableImage;
let root: RootImage;
let mediumDir: string;
let kernel: string;
let initrd: string;
let initramfsSize: number;
let rootfsSize: number;
let good: BootOutcome;
let bad: BootOutcome;
let goodLog: string;
let badLog: string;
let bootMs: number;

/** Append `file` to the stream, then zero-pad to a multiple of 4 bytes (initrd members are 4-byte aligned). */
async function appendPadded(out: ReturnType<typeof createWriteStream>, file: string): Promise<number> {
  const size = (await stat(file)).size;
  await pipeline(createReadStream(file), out, { end: false });
  const pad = (4 - (size % 4)) % 4;
  if (pad) await new Promise<void>((res, rej) => out.write(Buffer.alloc(pad), (e) => (e ? rej(e) : res())));
  return size + pad;
}

async function writeConfig(dir: string, config: unknown): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config.ign');
  await writeFile(path, `${JSON.stringify(config)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

async function boot(name: string, config: string, marker: string): Promise<BootOutcome> {
  const workDir = await mkdtemp(join(work, `boot-${name}-`));
  return bootAndWatch(
    exec,
    { profile, medium: { kind: 'kernel', kernel, initrd, append: APPEND }, firmware: 'bios', accel: accel.accel, platformIgnition: config },
    {
      marker,
      timeoutMs: BOOT_TIMEOUT_MS,
      workDir,
      binds: [{ path: mediumDir, readonly: true }, { path: join(config, '..'), readonly: true }],
      capture: {
        filesStarted: /Starting .*Ignition \(files\)/,
        filesFinished: /Finished .*Ignition \(files\)/,
        // systemd shortens long unit names on the console ("day0-live-root.se… the live root…"): match the description
        liveRoot: /Finished .*the live root filesystem image/,
        switchRoot: /Starting .*Switch Root/,
      },
      graceMs: 5000,
    },
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'day0-boot-test-'));
  savedCache = process.env.DAY0_CACHE;
  process.env.DAY0_CACHE = join(work, 'cache');

  const cfg = loadConfig();
  exec = makeExecutor(cfg);
  profile = await loadProfile('x86_64', join(PACKAGE_ROOT, 'profiles'));

  // A rebuild of the demo images re-pushes the tags: do not race it.
  const deadline = Date.now() + 25 * 60_000;
  while ((await execa('pgrep', ['-f', 'hack/demo-images.sh'], { reject: false })).exitCode === 0) {
    if (Date.now() > deadline) throw new Error('hack/demo-images.sh is still running after 25 minutes');
    await new Promise((r) => setTimeout(r, 5000));
  }
  await execa('bash', [join(PACKAGE_ROOT, 'hack/registry.sh')]);
  await execa('podman', ['pull', '-q', '--tls-verify=false', BASE], { timeout: 600_000 });
  const inspect = JSON.parse(String((await execa('podman', ['image', 'inspect', BASE])).stdout)) as {
    Id: string;
    Digest: string;
    Labels: Record<string, string>;
  }[];
  const info = inspect[0];
  if (!info) throw new Error(`podman image inspect ${BASE}: no result`);

  // Export the image's root filesystem (what image intake would unpack).
  const rootfs = join(work, 'rootfs');
  await mkdir(rootfs);
  const ctr = `day0-boot-test-${NONCE}`;
  await execa('podman', ['create', '--name', ctr, '--pull=never', BASE, '/bin/true']);
  try {
    await execa('sh', ['-c', 'podman export "$1" | tar -x --numeric-owner -C "$2"', 'sh', ctr, rootfs]);
  } finally {
    await execa('podman', ['rm', '-f', ctr], { reject: false });
  }
  const kver = String((await execa('ls', [join(rootfs, 'usr/lib/modules')])).stdout).trim();
  expect(kver.split('\n')).toHaveLength(1);
  const kdir = join(rootfs, 'usr/lib/modules', kver);
  const osRelease = Object.fromEntries(
    (await readFile(join(rootfs, 'usr/lib/os-release'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]),
  );
  const k = { version: kver, vmlinuz: join(kdir, 'vmlinuz'), initramfs: join(kdir, 'initramfs.img'), initramfsSize: (await stat(join(kdir, 'initramfs.img'))).size };
  img = {
    image: {
      input: BASE,
      pinned: `${BASE.replace(/:latest$/, '')}@${info.Digest}`,
      digest: info.Digest || `sha256:${info.Id}`,
      arch: 'x86_64',
      layoutDir: join(work, 'layout'),
      layoutTag: NONCE,
      labels: info.Labels,
      layers: [],
      bytesPulled: 0,
    },
    rootfs,
    kernel: k,
    kernels: [k],
    osRelease,
    unpackCached: false,
  };

  // root.squashfs (in the builder) → rootfs.img cpio → initramfs.img + rootfs.img as one initrd.
  root = await makeRootImage(exec, img, 'squashfs');
  mediumDir = join(work, 'medium');
  await mkdir(mediumDir);
  const rootfsImg = join(work, 'rootfs.img');
  await writeRootfsCpio(root, rootfsImg);
  kernel = join(mediumDir, 'vmlinuz');
  await copyFile(k.vmlinuz, kernel);
  initrd = join(mediumDir, 'initrd.img');
  const out = createWriteStream(initrd);
  initramfsSize = await appendPadded(out, k.initramfs);
  rootfsSize = await appendPadded(out, rootfsImg);
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  await rm(rootfsImg);
  // The exported tree is no longer needed (the squashfs holds it); free the space before booting.
  await rm(rootfs, { recursive: true, force: true });

  accel = await probeAccel(exec, profile);

  // Positive: a unit in the real root (after the live overlay switch-root) prints the marker on the serial console.
  const [left, right] = [MARKER.slice(0, 'DAY0-BOOT-OK'.length), NONCE];
  const goodConfig = await writeConfig(join(work, 'cfg-good'), {
    ignition: { version: '3.3.0' },
    systemd: {
      units: [
        {
          name: 'day0-marker.service',
          enabled: true,
          contents: [
            '[Unit]',
            'Description=day0 boot marker',
            'After=systemd-user-sessions.service',
            '[Service]',
            'Type=oneshot',
            `ExecStart=/bin/sh -c 'printf "%%s-%%s\\n" ${left} ${right} > /dev/ttyS0'`,
            '[Install]',
            'WantedBy=multi-user.target',
            '',
          ].join('\n'),
        },
      ],
    },
  });
  // Negative: valid config, but the files stage cannot fetch its file (nothing listens on the guest's port 1).
  const badConfig = await writeConfig(join(work, 'cfg-bad'), {
    ignition: { version: '3.3.0', timeouts: { httpTotal: 10 } },
    storage: { files: [{ path: '/etc/day0-unfetchable', mode: 0o644, contents: { source: 'http://127.0.0.1:1/x' } }] },
  });
  expect((await stat(goodConfig)).mode & 0o777).toBe(0o600);

  const started = Date.now();
  [good, bad] = await Promise.all([boot('good', goodConfig, MARKER), boot('bad', badConfig, `DAY0-NEVER-${NONCE}`)]);
  bootMs = Date.now() - started;
  goodLog = await readFile(good.consoleLog, 'utf8');
  badLog = await readFile(bad.consoleLog, 'utf8');
  process.stdout.write(
    `boot-demo-kernel: accel=${accel.accel} (${accel.reason}); good ${good.verdict} in ${good.seconds} s; ` +
      `bad ${bad.verdict}/${bad.kind} in ${bad.seconds} s; both done in ${Math.round(bootMs / 1000)} s\n`,
  );
}, 40 * 60_000);

afterAll(async () => {
  if (savedCache === undefined) delete process.env.DAY0_CACHE;
  else process.env.DAY0_CACHE = savedCache;
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the boot medium', () => {
  it('root.squashfs was made in the builder under DAY0_CACHE, keyed by the image digest', () => {
    expect(root.format).toBe('squashfs');
    expect(root.cached).toBe(false);
    expect(root.path.startsWith(join(work, 'cache', 'live', img.image.digest.replace(':', '-')))).toBe(true);
    expect(root.size).toBeGreaterThan(50 << 20);
  });

  it('the initrd is initramfs.img + rootfs.img, each 4-byte aligned, and rootfs.img starts with root.squashfs', async () => {
    expect(initramfsSize % 4).toBe(0);
    expect(rootfsSize % 4).toBe(0);
    expect((await stat(initrd)).size).toBe(initramfsSize + rootfsSize);
    const fd = await readFile(initrd).then((b) => b.subarray(initramfsSize, initramfsSize + 6 + 8 * 13 + 14));
    expect(fd.subarray(0, 6).toString('ascii')).toBe('070701');
    expect(fd.subarray(110, 110 + 13).toString('ascii')).toBe('root.squashfs');
  });

  it('the profile’s live kernel arguments are the metal flavour of the same first boot', () => {
    // this test boots with ignition.platform.id=qemu (fw_cfg); the profile's live media use metal
    expect(liveKargs(profile)).toContain('ignition.firstboot');
    expect(APPEND).toContain('ignition.firstboot');
  });
});

describe('direct kernel boot of the demo base with an fw_cfg Ignition config', () => {
  it('passes: the marker written by the Ignition-configured unit reached the serial console', () => {
    expect(good.verdict, `${good.kind}: ${good.reason}\n${good.lastLines.join('\n')}`).toBe('pass');
    expect(good.kind).toBeUndefined();
    expect(goodLog).toContain(MARKER);
    expect(good.seconds).toBeGreaterThan(0);
    expect(good.seconds).toBeLessThan(BOOT_TIMEOUT_MS / 1000);
  });

  it("Ignition's files stage ran (console shows Ignition (files)) and the root came from root.squashfs", () => {
    expect(goodLog).toMatch(/Ignition \(files\)/);
    expect(good.matched.filesStarted ?? good.matched.filesFinished).toMatch(/Ignition \(files\)/);
    expect(good.matched.filesFinished).toMatch(/Finished .*Ignition \(files\)/);
    // the marker comes after the files stage finished
    expect(goodLog.indexOf(MARKER)).toBeGreaterThan(goodLog.search(/Finished .*Ignition \(files\)/));
  });

  it('booted live from root.squashfs: the live-root unit finished, then the initramfs switched root into the image', () => {
    expect(good.matched.liveRoot).toBeDefined();
    expect(goodLog).toContain('squashfs: version 4.0');
    expect(good.matched.switchRoot).toBeDefined();
    const switched = goodLog.search(/Starting .*Switch Root/);
    expect(goodLog.search(/Finished .*the live root filesystem image/)).toBeLessThan(switched);
    // the marker unit runs in the real root (multi-user.target), after the switch
    expect(goodLog.indexOf(MARKER)).toBeGreaterThan(switched);
    expect(goodLog.slice(switched)).toMatch(/Welcome to .*day0 Demo CoreOS-like/);
  });

  it('used the accelerator the probe chose, with a reason', () => {
    expect(['kvm', 'tcg']).toContain(accel.accel);
    expect(accel.reason.length).toBeGreaterThan(0);
    if (accel.accel === 'tcg' && !process.env.DAY0_ACCEL) expect(accel.reason).toMatch(/TCG/);
  });

  it('keeps the console log private (0600)', async () => {
    expect((await stat(good.consoleLog)).mode & 0o777).toBe(0o600);
  });
});

describe('negative boot: Ignition cannot apply the config', () => {
  it("fails with kind 'ignition-failed' and console context", () => {
    expect(bad.verdict, `${bad.kind}: ${bad.reason}\n${bad.lastLines.join('\n')}`).toBe('fail');
    expect(bad.kind).toBe('ignition-failed');
    expect(bad.reason).toMatch(/Ignition/);
    expect(bad.lastLines.length).toBeGreaterThan(0);
    expect(bad.lastLines.join('\n')).toMatch(/ignition|Ignition/);
    expect(badLog).not.toContain(MARKER);
  });

  it('the failure is the files stage (where the file is fetched), after the earlier stages passed', () => {
    expect(bad.reason).toMatch(/Failed to start .*Ignition \(files\)/);
    expect(badLog).toMatch(/Finished .*Ignition \(fetch-offline\)/);
    expect(badLog).not.toMatch(/Finished .*Ignition \(files\)/);
    // the runner kept reading for the grace period: the emergency shell the failure leads to is in the context
    expect(badLog).toMatch(/emergency/i);
  });
});
