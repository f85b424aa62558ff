// The executor against real podman: a privileged run in the builder image, binds at the same path, stdin, env that
// never shows in any process's argv, abort and timeout that leave no container behind, and the host executor.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Day0Config } from '../../src/config/config.js';
import { check } from '../../src/executor/index.js';
import { HostExecutor } from '../../src/executor/host.js';
import { PodmanExecutor } from '../../src/executor/podman.js';
import { Day0Error } from '../../src/util/errors.js';

// Every container this file starts carries this label, so "no container left" is about ours only
// (other test files and other users of this machine start day0-* containers concurrently).
const NONCE = randomBytes(6).toString('hex');
const LABEL = `day0.test=executor-${NONCE}`;

let cfg: Day0Config;
let exec: PodmanExecutor;
let work: string;

async function podman(args: string[]): Promise<string> {
  const r = await execa(cfg.podman.binary, [...cfg.podman.global_args, ...args]);
  return String(r.stdout);
}

/** Names of this file's containers, running or not. */
async function ours(): Promise<string[]> {
  const out = await podman(['ps', '-a', '--filter', `label=${LABEL}`, '--format', '{{.Names}}']);
  return out.split('\n').filter(Boolean);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Wait until one of our containers is running; its name. */
const running = () =>
  waitFor('the container to run', async () => {
    const out = await podman(['ps', '--filter', `label=${LABEL}`, '--filter', 'status=running', '--format', '{{.Names}}']);
    return out.split('\n').find(Boolean);
  });

/** Command lines of every process on this machine (NUL-separated argv joined by spaces). */
async function allCmdlines(): Promise<{ pid: number; cmdline: string }[]> {
  const out: { pid: number; cmdline: string }[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const c = await readFile(`/proc/${d}/cmdline`).catch(() => undefined);
    if (c && c.length) out.push({ pid: Number(d), cmdline: c.toString('utf8').split('\0').join(' ') });
  }
  return out;
}

beforeAll(async () => {
  const base = loadConfig();
  cfg = { ...base, executor: { ...base.executor, mode: 'podman' }, podman: { ...base.podman, run_args: [...base.podman.run_args, '--label', LABEL] } };
  exec = new PodmanExecutor(cfg);
  work = await mkdtemp(join(tmpdir(), 'day0-executor-test-'));
  const img = await execa(cfg.podman.binary, [...cfg.podman.global_args, 'image', 'exists', cfg.executor.builder_image], { reject: false });
  if (img.exitCode !== 0) throw new Error(`builder image ${cfg.executor.builder_image} is missing: run bash hack/builder-image.sh`);
});

afterAll(async () => {
  // Nothing of ours may be left; remove stragglers anyway so a failure here does not leak.
  const left = cfg ? await ours().catch(() => []) : [];
  if (left.length) await execa(cfg.podman.binary, [...cfg.podman.global_args, 'rm', '-f', '-t', '0', ...left], { reject: false });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('PodmanExecutor (real podman, builder image)', () => {
  it('runs a privileged command: /dev/loop-control is writable and losetup -f finds a loop device', async () => {
    const r = check(
      await exec.run({ argv: ['sh', '-c', 'test -w /dev/loop-control && echo writable && losetup -f && id -u'], label: 'privileged probe' }),
      'privileged probe',
    );
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('writable');
    expect(lines[1]).toMatch(/^\/dev\/loop\d+$/);
    expect(lines[2]).toBe('0');
    expect(r.killed).toBe(false);
    expect(r.timedOut).toBe(false);
  });

  it('runs in the builder image (its tools are there, the host need not have them)', async () => {
    const r = check(
      await exec.run({ argv: ['sh', '-c', 'for t in mksquashfs xorriso qemu-system-x86_64; do command -v "$t" || echo "missing $t"; done'] }),
      'tool lookup',
    );
    expect(r.stdout.trim().split('\n')).toEqual(['/usr/bin/mksquashfs', '/usr/bin/xorriso', '/usr/bin/qemu-system-x86_64']);
  });

  it('a bind-mounted dir is at the same path inside, and what is written there shows on the host', async () => {
    const dir = await mkdtemp(join(work, 'bind-'));
    const r = check(
      await exec.run({ argv: ['sh', '-c', 'cd "$0" && pwd && echo "from the builder" > out.txt && ls -ld "$0"', dir], binds: [{ path: dir }] }),
      'bind write',
    );
    expect(r.stdout.split('\n')[0]).toBe(dir);
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('from the builder\n');
    expect((await stat(join(dir, 'out.txt'))).uid).toBe(0);
  });

  it('a read-only bind can be read but not written', async () => {
    const dir = await mkdtemp(join(work, 'ro-'));
    await writeFile(join(dir, 'in.txt'), 'host data\n');
    const r = await exec.run({ argv: ['sh', '-c', 'cat "$0/in.txt"; echo x > "$0/new.txt"', dir], binds: [{ path: dir, readonly: true }] });
    expect(r.stdout).toBe('host data\n');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/read-only/i);
    await expect(stat(join(dir, 'new.txt'))).rejects.toThrow();
  });

  it('a host path that is not bound is not visible', async () => {
    const dir = await mkdtemp(join(work, 'unbound-'));
    const r = await exec.run({ argv: ['test', '-e', dir] });
    expect(r.exitCode).toBe(1);
  });

  it('stdin input reaches the command (string and binary)', async () => {
    const text = `secret ignition ${NONCE}\nsecond line\n`;
    const r = check(await exec.run({ argv: ['cat'], input: text }), 'cat');
    expect(r.stdout).toBe(text);
    const bin = randomBytes(256 * 1024);
    const want = (await execa('sha256sum', { input: bin })).stdout.split(' ')[0];
    const r2 = check(await exec.run({ argv: ['sha256sum'], input: bin }), 'sha256sum');
    expect(r2.stdout.split(' ')[0]).toBe(want);
  });

  it('stdout and stderr are streamed as they arrive, and a non-zero exit is returned, not thrown', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await exec.run({
      argv: ['sh', '-c', 'echo one; echo oops >&2; echo two; exit 3'],
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    });
    expect(r.exitCode).toBe(3);
    expect(r.killed).toBe(false);
    expect(out.join('')).toBe('one\ntwo\n');
    expect(err.join('')).toContain('oops');
    expect(() => check(r, 'the step')).toThrow(Day0Error);
    expect(() => check(r, 'the step')).toThrow(/the step exited 3:[\s\S]*oops/);
  });

  it('streams multi-byte UTF-8 split across chunks intact', async () => {
    // "…" is E2 80 A6: the sleep makes its bytes arrive in two chunks (seen on serial consoles as U+FFFD before).
    const out: string[] = [];
    const r = await exec.run({ argv: ['sh', '-c', "printf 'a\\342'; sleep 0.5; printf '\\200\\246b'"], onStdout: (c) => out.push(c) });
    expect(r.exitCode).toBe(0);
    expect(out.length).toBeGreaterThanOrEqual(2);
    expect(out.join('')).toBe('a…b');
  });

  it('an env value reaches the command but never appears in any process argv', async () => {
    const secret = `day0-secret-${randomBytes(12).toString('hex')}`;
    const seenWhileRunning: { pid: number; cmdline: string }[] = [];
    let podmanProcs: string[] = [];
    const p = exec.run({
      argv: ['sh', '-c', 'printf "%s\\n" "$DAY0_TEST_SECRET"; exec sleep 20'],
      env: { DAY0_TEST_SECRET: secret },
      timeoutMs: 120_000,
    });
    const name = await running();
    // while the container runs: the podman client (and conmon) exist; none of them carries the value
    const procs = await allCmdlines();
    podmanProcs = procs.filter((x) => x.cmdline.includes(name)).map((x) => x.cmdline);
    seenWhileRunning.push(...procs.filter((x) => x.cmdline.includes(secret)));
    await podman(['stop', '-t', '0', name]).catch(() => undefined);
    const r = await p;

    expect(podmanProcs.length).toBeGreaterThan(0);
    const client = podmanProcs.find((c) => / run /.test(c) && c.includes('--privileged'));
    expect(client, `podman run client among: ${podmanProcs.join(' | ')}`).toBeDefined();
    expect(client).toContain('-e DAY0_TEST_SECRET');
    expect(seenWhileRunning).toEqual([]);
    expect(r.stdout.split('\n')[0]).toBe(secret);
    // and the value is not in the container's recorded config either (podman passes it from its own environment)
    expect(await ours()).toEqual([]);
  });

  it('abort via AbortSignal stops `sleep 600` within seconds and leaves no container', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = exec.run({ argv: ['sleep', '600'], signal: ac.signal, label: 'sleep' });
    const name = await running();
    expect(name).toMatch(/^day0-[0-9a-f]+$/);
    const abortAt = Date.now();
    ac.abort();
    const r = await p;
    const stopMs = Date.now() - abortAt;
    expect(r.killed).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(stopMs).toBeLessThan(15_000);
    expect(Date.now() - started).toBeLessThan(75_000);
    expect(await ours()).toEqual([]);
    const all = (await podman(['ps', '-a', '--format', '{{.Names}}'])).split('\n');
    expect(all).not.toContain(name);
  });

  it('timeoutMs stops `sleep 600` and leaves no container', async () => {
    const started = Date.now();
    const r = await exec.run({ argv: ['sleep', '600'], timeoutMs: 8_000, label: 'sleep' });
    const took = Date.now() - started;
    expect(r.timedOut).toBe(true);
    expect(r.killed).toBe(true);
    expect(took).toBeGreaterThanOrEqual(8_000);
    expect(took).toBeLessThan(30_000);
    expect(await ours()).toEqual([]);
  });

  it('an already-aborted signal does not leave a container either', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await exec.run({ argv: ['sleep', '600'], signal: ac.signal });
    expect(r.killed).toBe(true);
    // podman may still be creating the container when it is killed: give removal a moment, then insist
    await waitFor('no container left', async () => ((await ours()).length === 0 ? true : undefined), 20_000);
  });
});

describe('HostExecutor', () => {
  const host = new HostExecutor();

  it('runs a host command with env and stdin', async () => {
    const r = check(
      await host.run({ argv: ['sh', '-c', 'printf "%s:" "$DAY0_HOST_VAR"; cat; uname -s'], env: { DAY0_HOST_VAR: 'v1' }, input: 'in\n' }),
      'host sh',
    );
    expect(r.stdout).toBe('v1:in\nLinux\n');
    expect(host.mode).toBe('host');
    expect(host.describe()).toBe('host');
  });

  it('writes to host paths directly', async () => {
    const dir = await mkdtemp(join(work, 'host-'));
    check(await host.run({ argv: ['sh', '-c', 'echo ok > "$0/f"', dir], binds: [{ path: dir }] }), 'host write');
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('ok\n');
  });

  it('times out a host command', async () => {
    const started = Date.now();
    const r = await host.run({ argv: ['sleep', '600'], timeoutMs: 1_000 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a missing program is a Day0Error naming it', async () => {
    await expect(host.run({ argv: ['day0-no-such-program-xyz'] })).rejects.toThrow(/day0-no-such-program-xyz/);
  });
});
