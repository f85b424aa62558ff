// Issue 14 items 8, 15, 16 against the real CLI, builder and registry: what cannot work is refused before the
// work starts, with the problem and the fix, a non-zero exit, and no output dir left behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DAY0 = join(ROOT, 'bin', 'day0.js');
const DEMO = 'localhost:5000/day0/demo-layered:latest';
const work = mkdtempSync(join(tmpdir(), 'day0-preflight-test-'));
const small = join(work, 'small');

function day0(args: string[], env: NodeJS.ProcessEnv = {}) {
  const t0 = Date.now();
  const r = spawnSync('node', [DAY0, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, seconds: (Date.now() - t0) / 1000 };
}

beforeAll(() => {
  // A 48 MiB filesystem of our own: big enough for day0's small files, far too small for an image or media.
  spawnSync('mkdir', ['-p', small]);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'day0-test-small', small], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mounting a tmpfs for the free-space tests failed (${m.stderr.trim()}): run the tests as root`);
});
afterAll(() => {
  spawnSync('umount', [small]);
  rmSync(work, { recursive: true, force: true });
});

describe('issue 14: refused before the work starts', () => {
  it('item 8: --engine osbuild without osbuild/podman in the builder is refused before the pull, and no output dir is left', () => {
    const out = join(work, 'osbuild-out');
    const r = day0(['build', DEMO, '--tls-verify=false', '-f', 'metal', '--engine', 'osbuild', '-o', out]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/--engine osbuild: podman .* has no osbuild, podman/);
    expect(r.out).toMatch(/use the default engine \(day0\)/);
    expect(r.out).not.toMatch(/✔ image /); // nothing was pulled or unpacked
    expect(existsSync(out)).toBe(false);
    const oci = day0(['build', 'oci-archive:/nonexistent/x.tar', '-f', 'qemu', '--engine', 'osbuild', '-o', out]);
    expect(oci.code).not.toBe(0);
    expect(oci.out).toMatch(/cannot take oci-archive images/);
  });

  it('item 15: -o on /proc is refused at once (no hang), naming the filesystem', () => {
    const r = day0(['build', DEMO, '--tls-verify=false', '-f', 'iso', '-o', '/proc/day0-test/out']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/is on proc \(\/proc\), a kernel interface that holds no files/);
    expect(r.seconds).toBeLessThan(120);
  });

  it('item 16: an output dir without room for the media is refused after the pull, before any medium, with the figures', () => {
    const out = join(small, 'out');
    const r = day0(['build', DEMO, '--tls-verify=false', '-f', 'iso,metal', '-o', out]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/not enough free space for the x86_64 media \(iso, metal\) in .*: \d+ MiB free on the filesystem of .*, about .* needed/);
    expect(r.out).toMatch(/pass another -o on a larger filesystem/);
    expect(existsSync(out)).toBe(false);
  });

  it('item 16: a cache without room for the image is refused before the pull, naming space, not a layer', () => {
    const cache = join(small, 'cache');
    const r = day0(['inspect', DEMO, '--tls-verify=false'], { DAY0_CACHE: cache });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/not enough free space for pulling .*demo-layered/);
    expect(r.out).toMatch(/day0 cache prune/);
    expect(r.out).not.toMatch(/umoci refuses/);
  });
});
