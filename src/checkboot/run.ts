// Boot-check cells in parallel (up to `jobs`), each in its own work dir with its own medium copy and QEMU.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../cli/context.js';
import { probeAccel } from '../qemu/accel.js';
import type { Firmware } from '../qemu/args.js';
import { bootAndWatch } from '../qemu/runner.js';
import { makeTempDir } from '../util/tmp.js';
import { planCells, type Cell } from './cells.js';
import { configWithCheck } from './config.js';
import { newMarker, type Expectations } from './marker.js';
import { prepareCell } from './prepare.js';
import type { CellResult, CheckReport } from './report.js';
import { liveKargs } from '../media/kargs.js';
import { mkdir, rename } from 'node:fs/promises';

export interface CheckOptions {
  artifacts: string[];
  firmwares: Firmware[];
  timeoutS: number;
  jobs?: number;
  userConfig?: Buffer;
  expect: Expectations;
  /** Where console logs are kept (beside the report); default: a temp dir that is kept. */
  logDir: string;
  onCellDone?: (r: CellResult) => void;
  signal?: AbortSignal;
}

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}

export async function checkBoot(ctx: Context, o: CheckOptions): Promise<CheckReport> {
  const { cells, skipped } = planCells(o.artifacts, o.firmwares, existsSync);
  const accel = await probeAccel(ctx.exec, ctx.profile);
  await mkdir(o.logDir, { recursive: true });
  const results = await pool(cells, o.jobs ?? cpus().length, (cell) => checkCell(ctx, cell, o, accel.accel));
  return { accel: accel.accel, accelReason: accel.reason, results, skipped };
}

async function checkCell(ctx: Context, cell: Cell, o: CheckOptions, accel: 'kvm' | 'tcg'): Promise<CellResult> {
  const t0 = Date.now();
  const work = await makeTempDir(`check-${cell.id}`, o.logDir);
  const marker = newMarker();
  const consoleDevice = ctx.profile.qemu.console_device;
  let prepared;
  try {
    try {
      prepared = await prepareCell({
        exec: ctx.exec, cell, work: work.path, userConfig: o.userConfig,
        withCheck: (user) => configWithCheck(user, marker, o.expect, consoleDevice),
        liveKargs: liveKargs(ctx.profile),
      });
    } catch (err) {
      // A medium that cannot even be prepared (unreadable, wrong layout) fails its cell, not the whole run.
      const r: CellResult = {
        cell, overheadSeconds: (Date.now() - t0) / 1000,
        outcome: { verdict: 'fail', kind: 'not-bootable', reason: `cannot prepare the medium: ${(err as Error).message}`, seconds: 0, lastLines: [], consoleLog: '', matched: {} },
      };
      o.onCellDone?.(r);
      return r;
    }
    const outcome = await bootAndWatch(ctx.exec, {
      profile: ctx.profile, medium: prepared.medium, firmware: cell.firmware, accel,
      uefiVars: join(work.path, 'uefi-vars.fd'), fwCfgIgnition: prepared.fwCfgIgnition,
    }, {
      marker: marker.ok, failMarker: marker.fail, timeoutMs: o.timeoutS * 1000, workDir: work.path,
      binds: prepared.binds, network: prepared.network, signal: o.signal,
    });
    // Keep the console log beside the report; drop the medium copy.
    const log = join(o.logDir, `${cell.id}-${Date.now().toString(36)}.console.log`);
    await rename(outcome.consoleLog, log);
    const r: CellResult = { cell, outcome: { ...outcome, consoleLog: log }, overheadSeconds: Math.max(0, Math.round(((Date.now() - t0) / 1000 - outcome.seconds) * 10) / 10) };
    o.onCellDone?.(r);
    return r;
  } finally {
    await prepared?.dispose?.();
    await work.dispose();
  }
}

