// Ctrl-C leaves nothing behind: no staging dir or partial artifact, no temp file in the cache, no container, no QEMU.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { PodmanExecutor } from '../../src/executor/podman.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DAY0 = join(ROOT, 'bin', 'day0.js');
const DEMO = 'localhost:5000/day0/demo-layered:latest';
const work = mkdtempSync(join(tmpdir(), 'day0-interrupt-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Builder containers of the day0 process `pid` (other day0 runs may share this machine: only ours count). */
const day0Containers = (pid: number) =>
  execFileSync('podman', ['ps', '-a', '--filter', `label=io.day0.pid=${pid}`, '--format', '{{.Names}}'], { encoding: 'utf8' })
    .split('\n')
    .filter((n) => n !== '');

/** Start day0 and send SIGINT once `ready(output)` holds (polled), plus `delayMs`; resolve with the exit. */
function interruptWhen(args: string[], ready: (output: string, pid: number) => boolean, delayMs: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; sawTrigger: boolean; pid: number; atTrigger: string[] }> {
  return new Promise((resolve) => {
    const child = spawn('node', [DAY0, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let sawTrigger = false;
    let atTrigger: string[] = [];
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const poll = setInterval(() => {
      if (!sawTrigger && ready(output, child.pid ?? -1)) {
        sawTrigger = true;
        clearInterval(poll);
        setTimeout(() => {
          atTrigger = day0Containers(child.pid ?? -1);
          child.kill('SIGINT');
        }, delayMs);
      }
    }, 250);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stderr: output, sawTrigger, pid: child.pid ?? -1, atTrigger });
    });
  });
}

/** QEMU processes whose command line names a file under `path`. */
const qemuUsing = (path: string) => {
  try {
    return execFileSync('pgrep', ['-f', `qemu-system-[a-z0-9_]+ .*${path}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

describe('Ctrl-C', () => {
  it('during a build: exit 130, no staging dir, no artifact, no partial cache file, no container', async () => {
    const cache = join(work, 'cache');
    const out = join(work, 'out');
    const r = await interruptWhen(['build', DEMO, '--tls-verify=false', '-f', 'iso,pxe', '-o', out], (o) => o.includes('✔ image '), 2000, { DAY0_CACHE: cache });
    expect(r.sawTrigger).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT received, cleaning up');
    expect(readdirSync(out).filter((f) => f.startsWith('.day0-staging-'))).toEqual([]);
    expect(existsSync(join(out, 'x86_64'))).toBe(false);
    const live = join(cache, 'live');
    const leftovers = existsSync(live) ? readdirSync(live, { recursive: true }).map(String).filter((f) => f.includes('.tmp-')) : [];
    expect(leftovers).toEqual([]);
    expect(day0Containers(r.pid)).toEqual([]);
  }, 10 * 60_000);

  it('during a boot check: exit 130, QEMU and its container gone, work dir removed', async () => {
    const out = join(work, 'iso');
    execFileSync('node', [DAY0, 'build', DEMO, '--tls-verify=false', '-f', 'iso', '-o', out, '-q']);
    const iso = join(out, 'x86_64', 'demo-layered-live.x86_64.iso');
    const logs = join(work, 'logs');
    // check-boot prints its table at the end: trigger once QEMU boots the medium copy in the cell's work dir (not the
    // KVM probe, which is over within seconds), in a builder container labelled with day0's pid.
    const cellQemu = () => qemuUsing(join(logs, 'day0-check-'));
    const r = await interruptWhen(['check-boot', '--firmware', 'bios', '--log-dir', logs, iso], (_, pid) => cellQemu() !== '' && day0Containers(pid).length > 0, 5000);
    expect(r.sawTrigger).toBe(true);
    expect(r.atTrigger.length).toBeGreaterThan(0); // QEMU ran in a builder container labelled with day0's pid
    expect(r.code).toBe(130);
    expect(qemuUsing(logs)).toBe('');
    expect(day0Containers(r.pid)).toEqual([]);
    expect(readdirSync(logs).filter((f) => f.startsWith('day0-check-'))).toEqual([]);
  }, 15 * 60_000);

  it('a builder container whose day0 was killed (-9) is removed by the next run', async () => {
    const dead = spawnSync('true').pid ?? 0; // exited: nobody owns this pid now
    const name = `day0-reclaim-${process.pid}-${Date.now().toString(36)}`;
    const cfg = loadConfig();
    execFileSync('podman', ['run', '-d', '--name', name, '--label', `io.day0.pid=${dead}`, '--network=none', '--entrypoint', 'sleep', cfg.executor.builder_image, '600']);
    try {
      expect(execFileSync('podman', ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim()).toBe(name);
      const r = await new PodmanExecutor(cfg).run({ argv: ['true'] });
      expect(r.exitCode).toBe(0);
      expect(execFileSync('podman', ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim()).toBe('');
    } finally {
      spawnSync('podman', ['rm', '-f', '-t', '0', name]);
    }
  }, 5 * 60_000);

  it('kill -9 during a build: its builder container stops too (the watched stdin pipe closes), not only at the next run', async () => {
    const child = spawn('node', [DAY0, 'build', DEMO, '--tls-verify=false', '-f', 'iso', '-o', join(work, 'out-kill')], {
      env: { ...process.env, DAY0_CACHE: join(work, 'cache') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? -1;
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const until = async (cond: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) if (cond()) return true;
      return cond();
    };
    // after the image step, a builder container runs (mksquashfs of the root filesystem)
    expect(await until(() => output.includes('✔ image ') && day0Containers(pid).length > 0, 8 * 60_000)).toBe(true);
    child.kill('SIGKILL');
    const gone = await until(() => day0Containers(pid).length === 0, 60_000);
    expect(gone, `containers of the killed day0 still there: ${day0Containers(pid).join(', ')}`).toBe(true);
  }, 10 * 60_000);
});
