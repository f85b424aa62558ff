import type { Command } from 'commander';
import type { CheckResult } from '../../doctor/checks.js';

const MARK = { ok: '✔', warn: '!', fail: '✘' } as const;

export function formatDoctor(results: CheckResult[]): string {
  const w = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => `${MARK[r.status]} ${r.name.padEnd(w)}  ${r.detail}${r.fix && r.status !== 'ok' ? `\n  ${' '.repeat(w)}  fix: ${r.fix}` : ''}`)
    .join('\n');
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check that this machine can build and boot-check media (podman, builder image, loop devices, disk, QEMU acceleration)')
    .option('--arch <arch>', 'platform whose QEMU to check (default: this host\'s)')
    .option('--json', 'print the results as JSON')
    .action(async (opts: { arch?: string; json?: boolean }) => {
      // Loaded here, not at the top: registering the command must stay cheap (start-up time).
      const [{ runDoctor }, { makeContext }] = await Promise.all([import('../../doctor/checks.js'), import('../context.js')]);
      const ctx = await makeContext(opts.arch);
      const results = await runDoctor(ctx);
      const ok = results.every((r) => r.status !== 'fail' || !r.required);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ok, executor: ctx.exec.describe(), checks: results }, null, 2)}\n`);
      else process.stdout.write(`${formatDoctor(results)}\n${ok ? 'ready to build' : 'not ready: fix the ✘ lines above'}\n`);
      process.exitCode = ok ? 0 : 1;
    });
}
