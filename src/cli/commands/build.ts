import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { buildAll, loadIgnition, namedFormats, parseFormats, ALL_FORMATS, type BuildOptions } from '../../build/build.js';
import { OutputDir } from '../../build/output.js';
import { Progress, PROGRESS_MODES } from '../../build/progress.js';
import type { ProgressFlag } from '../../checkboot/live-status.js';
import { passed, toJson } from '../../checkboot/report.js';
import { checkBoot } from '../../checkboot/run.js';
import { Day0Error } from '../../util/errors.js';
import { makeContexts } from '../context.js';
import { defaultArch, knownArches, parseArchList } from '../../profiles/platforms.js';
import { addCheckBootOptions, collect, positiveInt, writeReports, type CheckBootFlags } from './check-boot.js';

interface BuildFlags extends Omit<CheckBootFlags, 'ignition' | 'logDir'> {
  ignition?: string;
  format: string;
  arch?: string;
  output: string;
  name?: string;
  authfile?: string;
  tlsVerify: string;
  kernel?: string;
  rootfsFormat: 'squashfs' | 'erofs';
  ignitionAreaSize?: number;
  liveKargAppend: string[];
  liveKargDelete: string[];
  kargAppend: string[];
  diskSize?: string;
  rootFs: 'xfs' | 'ext4';
  emitManifest?: string;
  engine: 'day0' | 'osbuild';
  ignitionSpecCheck: 'on' | 'off';
  checkBoot?: boolean;
  destDevice?: string;
  destIgnition?: string;
  destKargAppend: string[];
  destKargDelete: string[];
  destConsole: string[];
  installImage?: boolean;
  pxeUrl?: string;
  wait?: boolean;
  quiet?: boolean;
  progress: ProgressFlag;
}

/** "10G", "4096M", "4096" (MiB) → MiB. */
export function parseSizeMib(v: string): number {
  const m = /^(\d+)\s*([MGT]i?B?)?$/i.exec(v.trim());
  if (!m) throw new Day0Error(`cannot read size "${v}"`, { fix: 'give a size like 8G, 8192M or 8192 (MiB)' });
  const n = Number(m[1]);
  const unit = (m[2] ?? 'M')[0]!.toUpperCase();
  return unit === 'G' ? n * 1024 : unit === 'T' ? n * 1024 * 1024 : n;
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description('build install media for one platform from a layered OS image and an Ignition config')
    .argument('<image>', 'image reference: docker://HOST/REPO:TAG, HOST/REPO@sha256:…, oci-archive:PATH, oci:DIR[:TAG], containers-storage:REF')
    .option('-i, --ignition <file>', 'Ignition config embedded in the media (validated; never logged)')
    .option('-f, --format <list>', `comma-separated: ${ALL_FORMATS.join(', ')}, or all (all leaves out, per platform, a disk format none of its boot modes boots)`, 'iso,pxe')
    .option('--arch <list>', `hardware platforms: one, a comma-separated list, or all (${knownArches().join(', ')}; default: this host's)`)
    .requiredOption('-o, --output <dir>', 'output directory (artifacts go to DIR/<arch>/, plus DIR/SHA256SUMS and DIR/build.json for all arches)')
    .option('--name <name>', 'artifact name prefix (default: the image repository name)')
    .option('--authfile <file>', 'registry auth file (podman/skopeo format; default: $REGISTRY_AUTH_FILE or the usual locations)')
    .option('--tls-verify <bool>', 'verify registry TLS (false for a plain-HTTP local registry)', 'true')
    .option('--kernel <version>', 'kernel to use when the image has several')
    .addOption(new Option('--rootfs-format <fmt>', 'live root filesystem image').choices(['squashfs', 'erofs']).default('squashfs'))
    .option('--ignition-area-size <bytes>', 'size of the ISO\'s Ignition embed area (default 262144)', positiveInt('--ignition-area-size'))
    .option('--live-karg-append <arg>', 'kernel argument added to the live media (repeatable)', collect, [])
    .option('--live-karg-delete <arg>', 'kernel argument removed from the live media (repeatable)', collect, [])
    .option('--karg-append <arg>', 'kernel argument added to disk images (repeatable)', collect, [])
    .option('--disk-size <size>', 'disk image size, e.g. 8G (default from the profile)')
    .addOption(new Option('--root-fs <fs>', 'root filesystem of disk images').choices(['xfs', 'ext4']).default('xfs'))
    .option('--emit-manifest <file>', 'write the disk images\' osbuild manifest (v2) to FILE')
    .addOption(new Option('--engine <engine>', 'who runs the disk manifest: day0\'s stage executor, or osbuild in the builder').choices(['day0', 'osbuild']).default('day0'))
    .addOption(new Option('--ignition-spec-check <mode>', 'refuse configs the image\'s Ignition cannot parse').choices(['on', 'off']).default('on'))
    .option('--dest-device <path>', 'install ISO: install to this disk automatically, without confirmation (coreos-installer\'s iso customize --dest-device)')
    .option('--dest-ignition <file>', 'install ISO: Ignition config for the installed system (validated; never logged)')
    .option('--dest-karg-append <arg>', 'install ISO: kernel argument added to the installed system (repeatable)', collect, [])
    .option('--dest-karg-delete <arg>', 'install ISO: kernel argument removed from the installed system (repeatable)', collect, [])
    .option('--dest-console <spec>', 'install ISO: kernel and GRUB console of the installed system, e.g. ttyS0,115200n8 (repeatable)', collect, [])
    .option('--install-image', 'the ISO carries the config-free metal image(s) for an offline install (implied by --dest-device)')
    .option('--pxe-url <url>', 'PXE install: where the PXE artifacts will be served; the PXE configs get coreos.inst.install_dev=, coreos.inst.image_url= and coreos.inst.ignition_url= (needs --dest-device)')
    .option('--check-boot', 'boot every medium under QEMU and prove the config applies (exit 1 if any fails)')
    .option('--json', 'print the result as JSON')
    .option('--wait', 'wait for another day0 build holding the output dir, instead of failing at once')
    .option('-q, --quiet', 'no progress output (but --progress json)')
    .addOption(new Option('--progress <mode>', 'progress on stderr: auto (tty on a terminal, else plain), tty (a live line per step and boot), plain (a line per step, boot phase and verdict), json (one event per line), none').choices(PROGRESS_MODES).default('auto'));
  addCheckBootOptions(cmd, 'with --check-boot: ').addHelpText('after', `
Examples:
  day0 build --tls-verify=false localhost:5000/day0/demo-layered:latest -i config.ign -f iso,pxe -o out/
  day0 build oci-archive:my-os.tar -i config.ign -f metal,metal4k,qemu --disk-size 8G -o out/ --check-boot
  day0 build --arch all --tls-verify=false localhost:5000/day0/demo-layered:latest -i config.ign -f all -o out/ --check-boot
  day0 build --tls-verify=false localhost:5000/day0/demo-layered:latest -f iso,pxe --dest-device /dev/vda --dest-ignition install.ign \
      --pxe-url http://10.0.0.1/x86_64/ -o out/ --check-boot
`);
  cmd.action(async (ref: string, f: BuildFlags) => {
    if (!['true', 'false'].includes(f.tlsVerify)) throw new Day0Error(`--tls-verify takes true or false, not "${f.tlsVerify}"`, { fix: '--tls-verify=false' });
    const ctxs = await makeContexts(parseArchList(f.arch ?? defaultArch()));
    const progress = Progress.forOptions(f);
    const opts: BuildOptions = {
      ref, formats: parseFormats(f.format), namedFormats: namedFormats(f.format), outDir: resolve(f.output), name: f.name, ignitionFile: f.ignition,
      ignitionSpecCheck: f.ignitionSpecCheck, authfile: f.authfile, tlsVerify: f.tlsVerify === 'true', kernel: f.kernel,
      rootfsFormat: f.rootfsFormat, ignitionAreaSize: f.ignitionAreaSize, liveKargAppend: f.liveKargAppend,
      liveKargDelete: f.liveKargDelete, kargAppend: f.kargAppend, diskSizeMib: f.diskSize ? parseSizeMib(f.diskSize) : undefined,
      rootFs: f.rootFs, emitManifest: f.emitManifest ? resolve(f.emitManifest) : undefined, engine: f.engine, wait: Boolean(f.wait),
      install: {
        ...(f.destDevice !== undefined ? { destDevice: f.destDevice } : {}),
        ...(f.destIgnition !== undefined ? { destIgnition: (await loadIgnition(f.destIgnition)).data } : {}),
        destKargAppend: f.destKargAppend, destKargDelete: f.destKargDelete, destConsole: f.destConsole, image: Boolean(f.installImage || f.destDevice),
        ...(f.pxeUrl !== undefined ? { pxeUrl: f.pxeUrl } : {}),
      },
    };
    // Hold the output dir from the first step to the last report (build, boot checks, build.json rewrite).
    const hold = await OutputDir.open(opts.outDir, { wait: opts.wait, onWait: (pid) => progress.info(`waiting for the day0 build with pid ${pid} to finish …`) });
    try {
    const res = await buildAll(ctxs, opts, progress);
    const artifacts = res.builds.flatMap((b) => b.artifacts);
    for (const a of artifacts) progress.info(`  ${a.path}  ${(a.size / 2 ** 20).toFixed(1)} MiB`);
    let ok = true;
    if (f.checkBoot) {
      const media = artifacts.filter((a) => ['iso', 'pxe-kernel', 'metal', 'metal4k', 'qemu'].includes(a.kind)).map((a) => join(res.outDir, a.path));
      const logDir = join(res.outDir, 'check-boot');
      const report = await progress.step(`boot-checking ${media.length} media under QEMU`, () => checkBoot(ctxs[0]!.exec, {
        artifacts: media, firmware: f.firmware, timeoutS: f.timeout, stallS: f.stallTimeout, jobs: f.jobs,
        userConfig: res.ignition, status: progress.status,
        expect: { files: f.expectFile, units: f.expectUnit }, logDir,
      }), (r) => `${r.results.filter((x) => x.outcome.verdict === 'pass').length}/${r.results.length} passed`);
      progress.close();
      ok = passed(report);
      res.record.checkBoot = toJson(report);
      // build.json records every verdict; artifacts and reports stay even when a check fails.
      const out = await OutputDir.open(res.outDir);
      try {
        await out.writeFile('build.json', `${JSON.stringify(res.record, null, 2)}\n`);
      } finally {
        await out.close();
      }
      if (!f.json) process.stdout.write('\n');
      await writeReports(report, f.junit, logDir, f.json ? 'none' : 'table');
    }
    if (f.json) process.stdout.write(`${JSON.stringify(res.record, null, 2)}\n`);
    else if (!f.checkBoot) process.stdout.write(`built ${artifacts.length} artifacts in ${res.outDir}\n`);
    process.exitCode = ok ? 0 : 1;
    } finally {
      progress.close();
      await hold.close();
    }
  });
}

