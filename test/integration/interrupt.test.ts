// Ctrl-C leaves nothing behind: no staging dir or partial artifact, no temp file in the cache, no container, no QEMU.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DAY0 = join(ROOT, 'bin', 'day0.js');
const DEMO = 'localhost:5000/day0/demo-layered:latest';
const work = mkdtempSync(join(tmpdir(), 'day0-interrupt-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Start day0 and send SIGINT once `ready(output)` holds (polled), plus `delayMs`; resolve with the exit. */
function interruptWhen(args: string[], ready: (output: string) => boolean, delayMs: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; sawTrigger: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('node', [DAY0, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let sawTrigger = false;
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const poll = setInterval(() => {
      if (!sawTrigger && ready(output)) {
        sawTrigger = true;
        clearInterval(poll);
        setTimeout(() => child.kill('SIGINT'), delayMs);
      }
    }, 250);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stderr: output, sawTrigger });
    });
  });
}

const day0Containers = () => execFileSync('podman', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' }).split('\n').filter((n) => n.startsWith('day0-'));
const qemuUsing = (path: string) => {
  try {
    return execFileSync('pgrep', ['-f', path], { encoding: 'utf8' }).trim();
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
    expect(day0Containers()).toEqual([]);
  }, 10 * 60_000);

  it('during a boot check: exit 130, QEMU and its container gone, work dir removed', async () => {
    const out = join(work, 'iso');
    execFileSync('node', [DAY0, 'build', DEMO, '--tls-verify=false', '-f', 'iso', '-o', out, '-q']);
    const iso = join(out, 'x86_64', 'demo-layered-live.x86_64.iso');
    const logs = join(work, 'logs');
    // check-boot prints its table at the end: trigger once QEMU runs on the medium copy in the log dir.
    const r = await interruptWhen(['check-boot', '--firmware', 'bios', '--log-dir', logs, iso], () => qemuUsing(logs) !== '', 5000);
    expect(r.sawTrigger).toBe(true);
    expect(r.code).toBe(130);
    expect(qemuUsing(logs)).toBe('');
    expect(day0Containers()).toEqual([]);
    expect(readdirSync(logs).filter((f) => f.startsWith('day0-check-'))).toEqual([]);
  }, 15 * 60_000);
});
