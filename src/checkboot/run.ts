// Boot-check cells in parallel (up to `jobs`), each in its own work dir with its own medium copy and QEMU. The
// media may be of several platforms: each artifact's arch comes from its name, its profile says how to boot it.
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Executor } from '../executor/types.js';
import { liveKargs } from '../media/kargs.js';
import { primaryConsole } from '../profiles/console.js';
import { loadProfile } from '../profiles/load.js';
import { knownArches } from '../profiles/platforms.js';
import type { Profile } from '../profiles/schema.js';
import { probeAccel, type AccelProbe } from '../qemu/accel.js';
import { bootAndWatch, type BootOutcome } from '../qemu/runner.js';
import { embedIgnition, modifyKargs, readIsoEmbedInfo, showIgnition } from '../live/iso-embed.js';
import { blankDisk, coreosInstKargs, gzImageBytes, INSTALL_COMPLETE, installCheckConfig, pxeInstallCheckConfig, readInstallIso } from './install.js';
import { appendKargs, kargsFromIpxe } from './kargs.js';
import { concatInitrds } from './prepare.js';
import { packIgnitionInitrd, unpackIgnitionInitrd } from '../formats/ignition-initrd.js';
import { serveFiles } from './http.js';
import type { Bind } from '../executor/types.js';
import type { BootMedium } from '../qemu/args.js';
import type { InstallFacts } from './cells.js';
import { Day0Error } from '../util/errors.js';
import { makeTempDir } from '../util/tmp.js';
import { artifactArch, planCells, type Cell } from './cells.js';
import { configWithCheck } from './config.js';
import { newMarker, type Expectations } from './marker.js';
import { PhaseTracker } from './phases.js';
import { prepareCell } from './prepare.js';
import { capacityJobs, type Schedule } from './schedule.js';
import type { LiveStatus } from './live-status.js';
import type { CellResult, CheckReport } from './report.js';

export interface CheckOptions {
  artifacts: string[];
  /** --firmware: "all" (default) or a comma-separated list of boot modes. */
  firmware?: string;
  /** Platform of artifacts whose names carry no arch. */
  arch?: string;
  /** Overall limit per boot (a still-progressing guest gets this long). */
  timeoutS: number;
  /** Stall window: a boot whose console shows no new line this long is stuck (default 300 s). */
  stallS?: number;
  /** Boots at once; default: what the host can feed (see schedule.ts). */
  jobs?: number;
  /** Where each cell's start, phase changes, last console line and verdict are shown (--progress). */
  status?: LiveStatus;
  userConfig?: Buffer;
  expect: Expectations;
  /** Where console logs are kept (beside the report); default: a temp dir that is kept. */
  logDir: string;
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

/** The profile of each artifact (by the arch in its name, else `fallback`). */
export async function profilesFor(paths: string[], fallback?: string): Promise<Map<string, Profile>> {
  const arches = knownArches();
  const byArch = new Map<string, Profile>();
  const out = new Map<string, Profile>();
  for (const p of paths) {
    const arch = artifactArch(p, arches) ?? fallback;
    if (!arch) {
      throw new Day0Error(`cannot tell the platform of ${basename(p)} from its name`, { fix: `pass --arch (one of: ${arches.join(', ')}) or keep day0's artifact names` });
    }
    let prof = byArch.get(arch);
    if (!prof) byArch.set(arch, (prof = await loadProfile(arch)));
    out.set(p, prof);
  }
  return out;
}

/** Every artifact named must be a readable regular file: checked before any probe or boot. */
export function checkArtifacts(paths: string[]): void {
  if (paths.length === 0) throw new Day0Error('no medium to boot-check', { fix: 'name one or more day0 artifacts (*.iso, *-live-kernel.<arch>, *-metal.<arch>.raw, *-qemu.<arch>.qcow2)' });
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Day0Error(`${p} does not exist`, { fix: 'pass the path of a day0 artifact (see the output directory of `day0 build`)' });
    if (!st.isFile()) throw new Day0Error(`${p} is not a regular file`, { fix: 'pass artifact files, not directories or devices' });
  }
}

export async function checkBoot(exec: Executor, o: CheckOptions): Promise<CheckReport> {
  checkArtifacts(o.artifacts);
  const profiles = await profilesFor(o.artifacts, o.arch);
  // Install ISOs are told by their live config (an installer config with a destination): read before planning.
  const installs = new Map<string, InstallFacts>();
  for (const a of o.artifacts.filter((x) => x.endsWith('.iso'))) {
    const facts = await readInstallIso(a);
    if (facts) installs.set(a, facts);
  }
  // PXE sets that install: their iPXE script carries coreos.inst.install_dev= (and the URLs of files beside it).
  for (const a of o.artifacts) {
    const m = /^(.*)-live-kernel\.([^.]+)$/.exec(basename(a));
    const script = m ? join(dirname(a), `${m[1]}-live.${m[2]}.ipxe`) : undefined;
    if (!script || !existsSync(script)) continue;
    const k = coreosInstKargs(kargsFromIpxe(await readFile(script, 'utf8')) ?? '');
    if (!k.installDev) continue;
    if (!k.imageUrl) throw new Day0Error(`${basename(script)} installs to ${k.installDev} but names no coreos.inst.image_url`, { fix: 'make PXE install media with day0 build --dest-device … --pxe-url …' });
    const imageFile = join(dirname(a), basename(k.imageUrl));
    const ignitionFile = k.ignitionUrl ? join(dirname(a), basename(k.ignitionUrl)) : undefined;
    for (const f of [imageFile, ...(ignitionFile ? [ignitionFile] : [])]) {
      if (!existsSync(f)) throw new Day0Error(`the PXE install's ${basename(f)} is not beside ${basename(a)}`, { fix: 'keep the PXE artifacts of one build together in one directory' });
    }
    installs.set(a, { destDevice: k.installDev, images: [{ sectorSize: 512, bytes: await gzImageBytes(imageFile) }], pxe: { imageFile, ...(ignitionFile ? { ignitionFile } : {}) } });
  }
  const { cells, skipped } = planCells(o.artifacts, (p) => profiles.get(p)!, o.firmware, existsSync, (p) => installs.get(p));
  const byArch = new Map<string, Profile>([...profiles.values()].map((p) => [p.arch, p]));
  const accel = new Map<string, AccelProbe>();
  for (const [arch, p] of byArch) if (cells.some((c) => c.arch === arch)) accel.set(arch, await probeAccel(exec, p));
  await mkdir(o.logDir, { recursive: true });
  const schedule: Schedule = o.jobs !== undefined
    ? { jobs: o.jobs, reason: '--jobs' }
    : capacityJobs({
      cores: availableParallelism(), freeMib: freemem() / 2 ** 20, totalMib: totalmem() / 2 ** 20,
      guests: cells.map((c) => byArch.get(c.arch)!.qemu).map((q) => ({ smp: q.smp, memoryMib: q.memory_mib })),
    });
  const results = await pool(cells, schedule.jobs, (cell) => checkCell(exec, byArch.get(cell.arch)!, cell, o, accel.get(cell.arch)!.accel));
  return { accel: Object.fromEntries([...accel].map(([a, p]) => [a, { accel: p.accel, reason: p.reason }])), results, skipped, schedule };
}

async function checkCell(exec: Executor, profile: Profile, cell: Cell, o: CheckOptions, accel: 'kvm' | 'tcg'): Promise<CellResult> {
  if (cell.install) return checkInstallCell(exec, profile, cell, o, accel);
  const t0 = Date.now();
  const key = cellKey(cell);
  const info = { arch: cell.arch, medium: cell.kind, firmware: cell.firmware };
  const work = await makeTempDir(`check-${cell.arch}-${cell.id}`, o.logDir);
  const marker = newMarker();
  const consoleDevice = primaryConsole(profile.console.devices).device;
  let prepared;
  try {
    try {
      prepared = await prepareCell({
        exec, profile, cell, work: work.path, userConfig: o.userConfig,
        withCheck: (user) => configWithCheck(user, marker, o.expect, consoleDevice),
        liveKargs: liveKargs(profile),
        extraKargs: accel === 'tcg' ? profile.qemu.tcg_kargs : [],
      });
    } catch (err) {
      // A medium that cannot even be prepared (unreadable, wrong layout) fails its cell, not the whole run.
      const r: CellResult = {
        cell, overheadSeconds: (Date.now() - t0) / 1000,
        outcome: { verdict: 'fail', kind: 'not-bootable', reason: `cannot prepare the medium: ${(err as Error).message}`, seconds: 0, lastLines: [], consoleLog: '', matched: {} },
      };
      o.status?.cellVerdict(key, r.outcome, info);
      return r;
    }
    // Where the guest's time goes: phases from its console lines (firmware … marker), kept in the report.
    const tracker = new PhaseTracker({ marker: marker.ok });
    const bootStart = Date.now();
    o.status?.cellStart(key, info);
    const outcome = await bootAndWatch(exec, {
      profile, medium: prepared.medium, firmware: cell.firmware, accel,
      ...(prepared.platformIgnition ? { platformIgnition: prepared.platformIgnition } : {}),
    }, {
      marker: marker.ok, failMarker: marker.fail, timeoutMs: o.timeoutS * 1000, ...(o.stallS !== undefined ? { stallMs: o.stallS * 1000 } : {}), workDir: work.path,
      binds: prepared.binds, network: prepared.network, signal: o.signal,
      onLine: (line) => {
        o.status?.cellLine(key, line);
        const change = tracker.push(line, (Date.now() - bootStart) / 1000);
        if (change) o.status?.cellPhase(key, change);
      },
    });
    tracker.tick(outcome.seconds);
    // Keep the console log beside the report; drop the medium copy.
    const log = join(o.logDir, `${cell.arch}-${cell.id}-${Date.now().toString(36)}.console.log`);
    await rename(outcome.consoleLog, log);
    const r: CellResult = {
      cell, outcome: { ...outcome, consoleLog: log }, phases: tracker.phases(), overheadSeconds: Math.max(0, Math.round(((Date.now() - t0) / 1000 - outcome.seconds) * 10) / 10),
      ...(accel === 'tcg' ? { tcgKargs: prepared.kargsAdded } : {}), ...(prepared.kargsNote ? { kargsNote: prepared.kargsNote } : {}),
    };
    o.status?.cellVerdict(key, r.outcome, info);
    return r;
  } finally {
    await prepared?.dispose?.();
    await work.dispose();
  }
}

/**
 * An install cell: the ISO with a blank target disk until the installer says "Install complete." (the live
 * config's marker must have appeared by then), then the target disk alone until the destination config's marker.
 */
async function checkInstallCell(exec: Executor, profile: Profile, cell: Cell, o: CheckOptions, accel: 'kvm' | 'tcg'): Promise<CellResult> {
  const t0 = Date.now();
  const key = cellKey(cell);
  const info = { arch: cell.arch, medium: cell.kind, firmware: cell.firmware };
  const inst = cell.install!;
  const work = await makeTempDir(`check-${cell.arch}-${cell.id}`, o.logDir);
  const liveMarker = newMarker();
  const destMarker = newMarker();
  const consoleDevice = primaryConsole(profile.console.devices).device;
  const extra = accel === 'tcg' ? profile.qemu.tcg_kargs : [];
  const fail = (kind: BootOutcome['kind'], reason: string, base?: BootOutcome): BootOutcome => ({
    verdict: 'fail', kind, reason, seconds: base?.seconds ?? 0, lastLines: base?.lastLines ?? [], consoleLog: base?.consoleLog ?? '', matched: base?.matched ?? {},
  });
  const done = (r: CellResult): CellResult => {
    o.status?.cellVerdict(key, r.outcome, info);
    return r;
  };
  try {
    const target = join(work.path, 'target.raw');
    let kargsAdded: string[] = [];
    let phase1: { medium: BootMedium; binds: Bind[]; network?: 'host'; dispose?: () => Promise<void> };
    let stopServer: (() => Promise<void>) | undefined;
    try {
      if (inst.destDevice !== profile.qemu.install_target) {
        throw new Day0Error(`the medium installs to ${inst.destDevice}, but the boot check's target disk shows up as ${profile.qemu.install_target} in the guest`, {
          fix: `build it with --dest-device ${profile.qemu.install_target} to boot-check it`,
        });
      }
      const liveCheck = (live: Buffer | undefined) => configWithCheck(live, liveMarker, { files: [], units: [] }, consoleDevice);
      const destCheck = (user: Buffer | undefined) => configWithCheck(user, destMarker, o.expect, consoleDevice);
      if (cell.kind === 'pxe-install') {
        // Direct kernel boot with the PXE set's arguments; the install image and the destination config (with the
        // check) are served by day0 at QEMU's host address, where the coreos.inst.* URLs are pointed.
        const pxe = cell.pxe!;
        const ip = inst.pxe!;
        const liveUser = pxe.ignition ? await unpackIgnitionInitrd(await readFile(pxe.ignition)) : undefined;
        const ign = join(work.path, 'check-live-ignition.img');
        await writeFile(ign, await packIgnitionInitrd(pxeInstallCheckConfig(liveUser, liveCheck, extra), { compression: 'xz' }), { mode: 0o600 });
        const initrd = join(work.path, 'initrd.img');
        await concatInitrds([pxe.initramfs, pxe.rootfs, ign], initrd);
        const dest = join(work.path, 'dest.ign');
        await writeFile(dest, destCheck(ip.ignitionFile ? await readFile(ip.ignitionFile) : undefined), { mode: 0o600 });
        const server = await serveFiles(new Map([['install.raw.gz', ip.imageFile], ['dest.ign', dest]]));
        stopServer = () => server.close();
        const url = `http://10.0.2.2:${server.port}`;
        const shipped = (pxe.ipxe && kargsFromIpxe(await readFile(pxe.ipxe, 'utf8'))) || '';
        const kargs = shipped.split(/\s+/).filter((a) => a && !/^coreos\.inst\.(image_url|ignition_url)=/.test(a));
        kargs.push(`coreos.inst.image_url=${url}/install.raw.gz`, `coreos.inst.ignition_url=${url}/dest.ign`);
        phase1 = { medium: { kind: 'kernel', kernel: pxe.kernel, initrd, append: appendKargs(kargs.join(' '), extra) }, binds: [{ path: pxe.kernel, readonly: true }], network: 'host', dispose: () => server.close() };
        kargsAdded = [...extra];
      } else {
        const iso = join(work.path, basename(cell.artifact));
        await copyFile(cell.artifact, iso, constants.COPYFILE_FICLONE);
        await embedIgnition(iso, installCheckConfig(await showIgnition(iso), destCheck, liveCheck, extra), { force: true });
        if (extra.length && (await readIsoEmbedInfo(iso)).kargs) {
          await modifyKargs(iso, { append: extra });
          kargsAdded = [...extra];
        }
        phase1 = { medium: { kind: 'iso', path: iso }, binds: [] };
      }
      await blankDisk(target, inst.targetBytes);
    } catch (err) {
      await stopServer?.();
      return done({ cell, overheadSeconds: (Date.now() - t0) / 1000, outcome: fail('not-bootable', `cannot prepare the install: ${(err as Error).message}`) });
    }
    const watch = (marker: string, tracker: PhaseTracker, started: number, more: Partial<Parameters<typeof bootAndWatch>[2]> = {}) => ({
      marker, timeoutMs: o.timeoutS * 1000, ...(o.stallS !== undefined ? { stallMs: o.stallS * 1000 } : {}), workDir: work.path, binds: [], signal: o.signal,
      onLine: (line: string) => {
        o.status?.cellLine(key, line);
        const change = tracker.push(line, (Date.now() - started) / 1000);
        if (change) o.status?.cellPhase(key, change);
      },
      ...more,
    });
    const keep = async (log: string, suffix: string) => {
      const to = join(o.logDir, `${cell.arch}-${cell.id}-${Date.now().toString(36)}${suffix}.console.log`);
      await rename(log, to);
      return to;
    };
    // 1. Install: the ISO and the blank target.
    o.status?.cellStart(key, info);
    const t1 = new PhaseTracker({ marker: INSTALL_COMPLETE });
    const s1 = Date.now();
    const r1 = await bootAndWatch(exec, { profile, medium: phase1.medium, firmware: cell.firmware, accel, targetDisk: { path: target, sectorSize: inst.sectorSize } },
      watch(INSTALL_COMPLETE, t1, s1, { capture: { live: new RegExp(liveMarker.ok) }, binds: phase1.binds, ...(phase1.network ? { network: phase1.network } : {}) }))
      .finally(() => phase1.dispose?.());
    t1.tick(r1.seconds);
    const installLog = await keep(r1.consoleLog, '-install');
    const install = { seconds: r1.seconds, consoleLog: installLog, phases: t1.phases(), liveMarker: Boolean(r1.matched.live) };
    const base = { cell, install, ...(accel === 'tcg' ? { tcgKargs: kargsAdded } : {}) };
    if (r1.verdict !== 'pass') {
      const kind = r1.kind === 'stalled' || r1.kind === 'timeout' || r1.kind === 'interrupted' ? r1.kind : 'install-failed';
      return done({ ...base, overheadSeconds: (Date.now() - t0) / 1000 - r1.seconds, outcome: fail(kind, `install: ${r1.reason ?? 'the installer did not finish'}`, { ...r1, consoleLog: installLog }) });
    }
    if (!install.liveMarker) {
      return done({ ...base, overheadSeconds: (Date.now() - t0) / 1000 - r1.seconds, outcome: fail('expectation-failed', 'install: the live config\'s check did not report before the install finished (was the live config applied?)', { ...r1, consoleLog: installLog }) });
    }
    // 2. The target alone, as the machine boots after the install.
    const t2 = new PhaseTracker({ marker: destMarker.ok });
    const s2 = Date.now();
    const r2 = await bootAndWatch(exec, { profile, medium: { kind: 'disk', path: target, format: 'raw', sectorSize: inst.sectorSize }, firmware: cell.firmware, accel },
      watch(destMarker.ok, t2, s2, { failMarker: destMarker.fail }));
    t2.tick(r2.seconds);
    const log = await keep(r2.consoleLog, '');
    const seconds = r1.seconds + r2.seconds;
    const outcome: BootOutcome = r2.verdict === 'pass'
      ? { ...r2, seconds, consoleLog: log }
      : { ...r2, seconds, consoleLog: log, reason: `installed disk: ${r2.reason ?? ''}` };
    return done({ ...base, outcome, phases: t2.phases(), overheadSeconds: Math.max(0, Math.round(((Date.now() - t0) / 1000 - seconds) * 10) / 10) });
  } finally {
    await work.dispose();
  }
}

/** How a cell is named in progress output: "x86_64 iso-bios". */
export const cellKey = (cell: Pick<Cell, 'arch' | 'id'>): string => `${cell.arch} ${cell.id}`;
