import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatTable, passed, toJson, toJUnit, type CheckReport } from '../../checkboot/report.js';
import { checkBoot } from '../../checkboot/run.js';
import type { Firmware } from '../../qemu/args.js';
import { makeContext } from '../context.js';
import { Day0Error } from '../../util/errors.js';

export interface CheckBootFlags {
  firmware: 'bios' | 'uefi' | 'both';
  timeout: number;
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

export function firmwaresOf(f: CheckBootFlags['firmware']): Firmware[] {
  return f === 'both' ? ['bios', 'uefi'] : [f];
}

/** Options shared by `check-boot` and `build --check-boot`. */
export function addCheckBootOptions(cmd: Command, prefix = ''): Command {
  return cmd
    .addOption(new Option(`--firmware <fw>`, `${prefix}firmware to boot under`).choices(['bios', 'uefi', 'both']).default('both'))
    .option('--timeout <seconds>', `${prefix}seconds each boot may take to reach the marker`, positiveInt('--timeout'), 900)
    .option('--jobs <n>', `${prefix}boots to run at once (default: number of cores)`, positiveInt('--jobs'))
    .option('--expect-file <path>', `${prefix}a path that must exist on the booted system (repeatable)`, collect, [])
    .option('--expect-unit <unit>', `${prefix}a systemd unit that must be active (repeatable)`, collect, [])
    .option('--junit <file>', `${prefix}also write a JUnit XML report`);
}

/** check-boot.json beside the console logs, JUnit when asked, and the report on stdout (table, JSON or nothing). */
export async function writeReports(report: CheckReport, junit: string | undefined, reportDir: string, print: 'table' | 'json' | 'none'): Promise<void> {
  await writeFile(join(reportDir, 'check-boot.json'), `${JSON.stringify(toJson(report), null, 2)}\n`);
  if (junit) await writeFile(resolve(junit), toJUnit(report));
  if (print === 'json') process.stdout.write(`${JSON.stringify(toJson(report), null, 2)}\n`);
  else if (print === 'table') process.stdout.write(`${formatTable(report)}\n`);
}

export function registerCheckBoot(program: Command): void {
  const cmd = program
    .command('check-boot')
    .description('boot media under QEMU and prove the Ignition config applies: a unit merged into the config writes a per-run marker to the console')
    .argument('<artifact...>', 'media from `day0 build`: *.iso, *-live-kernel.<arch> (PXE), *-metal.<arch>.raw, *-metal4k.<arch>.raw, *-qemu.<arch>.qcow2')
    .option('--arch <arch>', 'platform of the media', 'x86_64')
    .option('--ignition <file>', 'config for media that carry none (qemu images get it through fw_cfg); embedded configs are always read back from the medium')
    .option('--log-dir <dir>', 'where console logs and check-boot.json go (default: beside the first artifact)')
    .option('--json', 'print the report as JSON');
  addCheckBootOptions(cmd).addHelpText('after', `
Examples:
  day0 check-boot out/x86_64/demo-live.x86_64.iso --firmware both
  day0 check-boot out/x86_64/demo-metal.x86_64.raw --expect-file /etc/ipsec.d/my-host-to-host.conf --junit report.xml
`);
  cmd.action(async (artifacts: string[], flags: CheckBootFlags & { arch: string }) => {
    const ctx = await makeContext(flags.arch);
    const paths = artifacts.map((a) => resolve(a));
    let userConfig: Buffer | undefined;
    if (flags.ignition) {
      userConfig = await readFile(flags.ignition).catch(() => {
        throw new Day0Error(`cannot read Ignition config ${flags.ignition}`, { fix: 'check the path' });
      });
    }
    const logDir = resolve(flags.logDir ?? join(dirname(paths[0]!), 'check-boot'));
    const report = await checkBoot(ctx, {
      artifacts: paths, firmwares: firmwaresOf(flags.firmware), timeoutS: flags.timeout, jobs: flags.jobs,
      userConfig, expect: { files: flags.expectFile, units: flags.expectUnit }, logDir,
    });
    await writeReports(report, flags.junit, logDir, flags.json ? 'json' : 'table');
    process.exitCode = passed(report) ? 0 : 1;
  });
}
