// The demo world the other tests stand on: a loopback-only registry serving a CoreOS-like base image and a layered
// image built FROM it (libreswan, a config file, its service enabled), plus an oci-archive of the layered image.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheDir, PACKAGE_ROOT } from '../../src/util/paths.js';

const REGISTRY = '127.0.0.1:5000';
const BASE = 'localhost:5000/day0/demo-base:latest';
const LAYERED = 'localhost:5000/day0/demo-layered:latest';
const ARCHIVE = join(cacheDir(), 'demo', 'demo-layered.oci.tar');

interface Inspect {
  Digest: string;
  Labels: Record<string, string> | null;
  Layers: string[];
  Architecture: string;
  Os: string;
}

async function skopeoInspect(ref: string, raw = false): Promise<Record<string, unknown>> {
  const args = ['inspect', ...(raw ? ['--raw'] : []), ...(ref.startsWith('docker://') ? ['--tls-verify=false'] : []), ref];
  const r = await execa('skopeo', args, { timeout: 120_000 });
  return JSON.parse(String(r.stdout)) as Record<string, unknown>;
}

async function registryAnswers(addr: string): Promise<{ status: number } | { error: string }> {
  try {
    const res = await fetch(`http://${addr}/v2/`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { error: e.cause?.code ?? e.name ?? e.message };
  }
}

/** Non-loopback IPv4 addresses of this machine, from `ip -4 -o addr`. */
async function nonLoopbackAddrs(): Promise<string[]> {
  const r = await execa('ip', ['-4', '-o', 'addr'], { reject: false });
  return String(r.stdout)
    .split('\n')
    .map((l) => /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith('127.'));
}

/** Run a shell script in an image (as pulled from the registry); its stdout. */
async function inImage(image: string, script: string): Promise<string> {
  const r = await execa('podman', ['run', '--rm', '--pull=never', '--network=none', image, 'sh', '-c', script], { timeout: 120_000 });
  return String(r.stdout);
}

let base: Inspect;
let layered: Inspect;

beforeAll(async () => {
  // A rebuild of the demo images may be under way (it re-pushes both tags); wait for it instead of racing it.
  const deadline = Date.now() + 25 * 60_000;
  while ((await execa('pgrep', ['-f', 'hack/demo-images.sh'], { reject: false })).exitCode === 0) {
    if (Date.now() > deadline) throw new Error('hack/demo-images.sh is still running after 25 minutes');
    await new Promise((r) => setTimeout(r, 5000));
  }
  await execa('bash', [join(PACKAGE_ROOT, 'hack/registry.sh')], { stdio: 'inherit' });
  const cat = await fetch(`http://${REGISTRY}/v2/_catalog`).then((r) => r.json() as Promise<{ repositories: string[] }>);
  for (const repo of ['day0/demo-base', 'day0/demo-layered']) {
    if (!cat.repositories.includes(repo)) throw new Error(`registry lacks ${repo}: run bash hack/demo-images.sh`);
  }
  base = (await skopeoInspect(`docker://${BASE}`)) as unknown as Inspect;
  layered = (await skopeoInspect(`docker://${LAYERED}`)) as unknown as Inspect;
  // Make sure podman runs exactly what the registry serves.
  for (const ref of [BASE, LAYERED]) await execa('podman', ['pull', '-q', '--tls-verify=false', ref], { timeout: 600_000 });
});

describe('the local registry', () => {
  it(`answers /v2/ on ${REGISTRY}`, async () => {
    expect(await registryAnswers(REGISTRY)).toEqual({ status: 200 });
  });

  it('does not answer on a non-loopback address of this machine', async (ctx) => {
    const addrs = await nonLoopbackAddrs();
    if (addrs.length === 0) {
      ctx.skip(true, 'this machine has no non-loopback IPv4 address: cannot show the registry is loopback-only');
      return;
    }
    for (const a of addrs) {
      const r = await registryAnswers(`${a}:5000`);
      expect(r, `registry must not answer on ${a}:5000`).not.toHaveProperty('status');
    }
  });
});

describe('the demo images in the registry', () => {
  it('skopeo inspects both, linux/amd64', () => {
    for (const i of [base, layered]) {
      expect(i.Digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(i.Os).toBe('linux');
      expect(i.Architecture).toBe('amd64');
      expect(i.Layers.length).toBeGreaterThan(0);
    }
    expect(layered.Digest).not.toBe(base.Digest);
  });

  it('both are labelled containers.bootc=1', () => {
    expect(base.Labels?.['containers.bootc']).toBe('1');
    expect(layered.Labels?.['containers.bootc']).toBe('1');
  });

  it('the layered image is FROM the base: its layers start with all of the base layers', () => {
    expect(layered.Layers.length).toBeGreaterThan(base.Layers.length);
    expect(layered.Layers.slice(0, base.Layers.length)).toEqual(base.Layers);
  });
});

describe('the base image follows the CoreOS conventions', () => {
  it('one kernel in /usr/lib/modules with vmlinuz and an initramfs.img holding Ignition and the live-boot module', async () => {
    const out = await inImage(
      BASE,
      'cd /usr/lib/modules && ls -1; k=$(ls -1 | head -1); test -s "$k/vmlinuz" && echo vmlinuz-ok; test -s "$k/initramfs.img" && echo initramfs-ok; ' +
        'lsinitrd "$k/initramfs.img" | grep -oE "usr/bin/ignition$|day0-live-root.service$|squashfs.ko$" | sort -u',
    );
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^\d+\.\d+\.\d+/);
    expect(lines[1]).toBe('vmlinuz-ok');
    expect(lines).toContain('initramfs-ok');
    expect(lines).toEqual(expect.arrayContaining(['usr/bin/ignition', 'day0-live-root.service', 'squashfs.ko']));
  });
});

describe('the layered image', () => {
  let facts: Record<string, string>;
  beforeAll(async () => {
    const script = [
      'say() { printf "%s=%s\\n" "$1" "$2"; }',
      'test -x /usr/sbin/ipsec && say ipsec yes',
      'test -s /etc/ipsec.d/my-host-to-host.conf && say conf yes',
      'say conn "$(grep -c "^conn " /etc/ipsec.d/my-host-to-host.conf)"',
      'w=/etc/systemd/system/multi-user.target.wants/ipsec.service; test -L "$w" && say wants "$(readlink "$w")"',
      'say kernels "$(ls -1 /usr/lib/modules | wc -l)"',
      'k=$(ls -1 /usr/lib/modules | head -1); say kver "$k"',
      'test -f "/usr/lib/modules/$k/vmlinuz" && say vmlinuz yes',
      'test -f "/usr/lib/modules/$k/initramfs.img" && say initramfs yes',
      'say boot "$(ls -A /boot | wc -l)"',
      'say osid "$(. /usr/lib/os-release && echo "$ID")"',
      'say machineid "$(cat /etc/machine-id)"',
      'true',
    ].join('\n');
    facts = Object.fromEntries(
      (await inImage(LAYERED, script))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  });

  it('holds the extra package: /usr/sbin/ipsec', () => {
    expect(facts.ipsec).toBe('yes');
  });

  it('holds /etc/ipsec.d/my-host-to-host.conf (a libreswan conn)', () => {
    expect(facts.conf).toBe('yes');
    expect(Number(facts.conn)).toBeGreaterThanOrEqual(1);
  });

  it('has ipsec.service enabled (multi-user.target.wants symlink)', () => {
    expect(facts.wants).toMatch(/\/systemd\/system\/ipsec\.service$/);
  });

  it('has exactly one kernel dir with vmlinuz and initramfs.img, and an empty /boot', () => {
    expect(facts.kernels).toBe('1');
    expect(facts.kver).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    expect(facts.vmlinuz).toBe('yes');
    expect(facts.initramfs).toBe('yes');
    expect(facts.boot).toBe('0');
  });

  it('identifies itself: os-release ID=day0-demo, machine-id "uninitialized"', () => {
    expect(facts.osid).toBe('day0-demo');
    expect(facts.machineid).toBe('uninitialized');
  });
});

describe('the oci-archive of the layered image', () => {
  it(`exists at ${ARCHIVE} and holds the same image index as the registry (same image per platform)`, async () => {
    expect(existsSync(ARCHIVE), `${ARCHIVE} (made by hack/demo-images.sh)`).toBe(true);
    expect((await stat(ARCHIVE)).size).toBeGreaterThan(1 << 20);
    const fromArchive = (await skopeoInspect(`oci-archive:${ARCHIVE}`)) as unknown as Inspect;
    expect(fromArchive.Labels?.['containers.bootc']).toBe('1');
    // Both are the same multi-arch index (skopeo copy --all): the same image per platform, and the same host image.
    type Index = { manifests?: { digest: string; platform?: { architecture: string; variant?: string } }[] };
    const platforms = (i: Index) => (i.manifests ?? []).map((m) => `${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ''}=${m.digest}`).sort();
    const rawArchive = (await skopeoInspect(`oci-archive:${ARCHIVE}`, true)) as Index;
    const rawRegistry = (await skopeoInspect(`docker://${LAYERED}`, true)) as Index;
    expect(platforms(rawArchive).length).toBeGreaterThanOrEqual(1);
    expect(platforms(rawArchive).some((p) => p.startsWith('amd64='))).toBe(true);
    expect(platforms(rawArchive)).toEqual(platforms(rawRegistry));
    expect(fromArchive.Digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fromArchive.Digest).toBe(layered.Digest);
    expect(fromArchive.Layers).toHaveLength(layered.Layers.length);
  });
});
