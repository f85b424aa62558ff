import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Progress, PROGRESS_MODES } from '../../build/progress.js';
import type { ProgressFlag } from '../../checkboot/live-status.js';
import { formatTable, passed, tcgKargsText, toJson, toJUnit, type CheckReport } from '../../checkboot/report.js';
import { checkBoot } from '../../checkboot/run.js';
import { DEFAULT_OVERALL_S, DEFAULT_STALL_S } from '../../qemu/limits.js';
import { BOOT_MODES } from '../../profiles/schema.js';
import { makeContext } from '../context.js';
import { Day0Error } from '../../util/errors.js';

export interface CheckBootFlags {
  firmware: string;
  timeout: number;
  stallTimeout: number;
  jobs?: number;
  json?: boolean;
  junit?: string;
  expectFile: string[];
  expectUnit: string[];
  ignition?: string;
  logDir?: string;
}

export const collect = (v: string, prev: string[]) => [...prev, v];
export const positiveInt = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number`);
  return n;
};

/** Options shared by `check-boot` and `build --check-boot`. */
export function addCheckBootOptions(cmd: Command, prefix = ''): Command {
  return cmd
    .option('--firmware <modes>', `${prefix}boot modes to boot under: all (every mode the platform profile has), or a list of ${BOOT_MODES.join(', ')} ("both" = all)`, 'all')
    .option('--timeout <seconds>', `${prefix}overall limit per boot, for a guest that is still printing (slow, not stuck): verdict timeout`, positiveInt('--timeout'), DEFAULT_OVERALL_S)
    .option('--stall-timeout <seconds>', `${prefix}a boot whose console shows no new line for this long is stuck: verdict fail (stalled)`, positiveInt('--stall-timeout'), DEFAULT_STALL_S)
    .option('--jobs <n>', `${prefix}boots to run at once (default: what the host can feed: cores / the guests' vCPUs, free memory / their memory)`, positiveInt('--jobs'))
    .option('--expect-file <path>', `${prefix}a path that must exist on the booted system (repeatable)`, collect, [])
    .option('--expect-unit <unit>', `${prefix}a systemd unit that must be active (repeatable)`, collect, [])
    .option('--junit <file>', `${prefix}also write a JUnit XML report`);
}

/** check-boot.json beside the console logs, JUnit when asked, and the report on stdout (table, JSON or nothing). */
export async function writeReports(report: CheckReport, junit: string | undefined, reportDir: string, print: 'table' | 'json' | 'none'): Promise<void> {
  await writeFile(join(reportDir, 'check-boot.json'), `${JSON.stringify(toJson(report), null, 2)}\n`);
  // The page a person opens: matrix, phase timelines, console logs (self-contained, no network).
  const { renderReportHtml } = await import('../../checkboot/html.js');
  const cells = await Promise.all(report.results.map(async (r) => ({
    arch: r.cell.arch, cellId: r.cell.id, medium: r.cell.kind, firmware: r.cell.firmware, verdict: r.outcome.verdict,
    ...(r.outcome.kind ? { kind: r.outcome.kind } : {}), ...(r.outcome.reason ? { reason: r.outcome.reason } : {}),
    seconds: r.outcome.seconds, phases: r.phases ?? [],
    consoleLog: r.outcome.consoleLog ? await readFile(r.outcome.consoleLog, 'utf8').catch(() => '') : '',
    artifact: basename(r.cell.artifact), ...(r.outcome.consoleLog ? { consoleLogPath: relative(reportDir, r.outcome.consoleLog) } : {}),
    ...(tcgKargsText(r) ? { bootArgs: tcgKargsText(r) } : {}),
  })));
  const accel = Object.entries(report.accel).map(([a, x]) => `${a}: ${x.accel}`).join(', ');
  const reasons = Object.entries(report.accel).map(([a, x]) => `${a}: ${x.reason}`).join('; ');
  await writeFile(join(reportDir, 'check-boot.html'), renderReportHtml({ cells, accel, accelReason: reasons, skipped: report.skipped, generatedAt: new Date().toISOString() }));
  if (junit) await writeFile(resolve(junit), toJUnit(report));
  if (print === 'json') process.stdout.write(`${JSON.stringify(toJson(report), null, 2)}\n`);
  else if (print === 'table') process.stdout.write(`${formatTable(report)}\n`);
}

export function registerCheckBoot(program: Command): void {
  const cmd = program
    .command('check-boot')
    .description('boot media under QEMU and prove the Ignition config applies: a unit merged into the config writes a per-run marker to the console')
    .argument('<artifact...>', 'media from `day0 build`: *.iso, *-live-kernel.<arch> (PXE), *-metal.<arch>.raw, *-metal4k.<arch>.raw, *-qemu.<arch>.qcow2')
    .option('--arch <arch>', 'platform of media whose names do not say (day0 names carry it: NAME-live.<arch>.iso …)')
    .option('--ignition <file>', 'config for media that carry none (qemu images get it through fw_cfg); embedded configs are always read back from the medium')
    .option('--log-dir <dir>', 'where console logs and check-boot.json go (default: beside the first artifact)')
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--progress <mode>', 'progress on stderr: auto (tty on a terminal, else plain), tty (a live line per boot: phase, elapsed, last console line), plain (a line per phase and verdict), json (one event per line), none').choices(PROGRESS_MODES).default('auto'));
  addCheckBootOptions(cmd).addHelpText('after', `
Examples:
  day0 check-boot out/x86_64/demo-live.x86_64.iso
  day0 check-boot out/aarch64/demo-live.aarch64.iso out/aarch64/demo-qemu.aarch64.qcow2 --ignition config.ign
  day0 check-boot out/x86_64/demo-metal.x86_64.raw --firmware bios --expect-file /etc/ipsec.d/my-host-to-host.conf --junit report.xml
`);
  cmd.action(async (artifacts: string[], flags: CheckBootFlags & { arch?: string; progress: ProgressFlag }) => {
    const { exec } = await makeContext(flags.arch);
    const paths = artifacts.map((a) => resolve(a));
    let userConfig: Buffer | undefined;
    if (flags.ignition) {
      userConfig = await readFile(flags.ignition).catch(() => {
        throw new Day0Error(`cannot read Ignition config ${flags.ignition}`, { fix: 'check the path' });
      });
    }
    const logDir = resolve(flags.logDir ?? join(dirname(paths[0]!), 'check-boot'));
    // The report itself goes to stdout; progress (live lines, phase lines or JSON events) to stderr.
    const progress = Progress.forOptions({ progress: flags.progress });
    let report: CheckReport;
    try {
      report = await checkBoot(exec, {
        artifacts: paths, firmware: flags.firmware, ...(flags.arch ? { arch: flags.arch } : {}), timeoutS: flags.timeout, stallS: flags.stallTimeout, jobs: flags.jobs,
        userConfig, expect: { files: flags.expectFile, units: flags.expectUnit }, logDir, status: progress.status,
      });
    } finally {
      progress.close();
    }
    await writeReports(report, flags.junit, logDir, flags.json ? 'json' : 'table');
    process.exitCode = passed(report) ? 0 : 1;
  });
}
