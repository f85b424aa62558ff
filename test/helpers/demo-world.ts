// The CLI and the demo world as integration tests use them: day0 run as a process, and a check (for beforeAll) that
// the built CLI, the local registry and the demo layered image are there, failing with how to get each.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DAY0 = join(ROOT, 'bin', 'day0.js');
export const DEMO = 'localhost:5000/day0/demo-layered:latest';

export function day0(args: string[], timeoutMs = 50 * 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [DAY0, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function requireDemoWorld(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ missing: run `npx tsc -p tsconfig.json` (hack/test.sh does)');
  const reg = spawnSync('bash', [join(ROOT, 'hack', 'registry.sh')], { encoding: 'utf8' });
  if (reg.status !== 0) throw new Error(`local registry not running: ${reg.stderr}`);
  const has = spawnSync('skopeo', ['inspect', '--tls-verify=false', `docker://${DEMO}`], { encoding: 'utf8' });
  if (has.status !== 0) throw new Error('demo layered image missing from the registry: run `bash hack/demo-images.sh`');
}
