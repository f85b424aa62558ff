// `day0 build`: image reference → pulled image → root filesystem → media → (optional) boot check.
// Thin orchestration over intake, live media, disk images and check-boot; the output dir is atomic per artifact.
import { readFile } from 'node:fs/promises';
import type { Context } from '../cli/context.js';
import { buildDiskImages, type DiskFormat } from '../disk/build.js';
import { intake } from '../image/intake.js';
import type { BootableImage } from '../image/types.js';
import { checkSpecAgainstImage } from '../ignition/spec-check.js';
import { formatResult, validateIgnition } from '../ignition/validate.js';
import { checkOsbuildEngine } from '../stages/run-manifest.js';
import { ensureSpace, outputEstimate } from '../util/space.js';
import { Day0Error } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { buildLive } from './live.js';
import { OutputDir, type Artifact } from './output.js';
import type { Progress } from './progress.js';
import type { RootfsFormat } from '../media/rootfs.js';
import { FORMATS, supportedDiskFormats } from '../manifest/disk.js';
import { planLayout } from '../manifest/layout.js';
import { packIgnitionInitrd } from '../formats/ignition-initrd.js';
import type { Profile } from '../profiles/schema.js';
import { buildInstallImages, checkImageInstaller, INSTALL_MANIFEST_PATH, installManifest, pxeInstallKargs, pxeInstallLiveConfig, pxeInstallNames, checkInstallOptions, installLiveConfig, installRecord, installRequested, type InstallImage, type InstallOptions } from './install.js';
import { join } from 'node:path';

export const LIVE_FORMATS = ['pxe', 'iso'] as const;
export const DISK_FORMATS = ['metal', 'metal4k', 'qemu', 'vmware', 'azure'] as const;
export const ALL_FORMATS = [...LIVE_FORMATS, ...DISK_FORMATS] as const;
export type Format = (typeof ALL_FORMATS)[number];

export interface BuildOptions {
  ref: string;
  formats: Format[];
  /**
   * The formats named one by one (not through `all`): a platform that cannot make one of these is an error before
   * anything is pulled; one that cannot make a format `all` brought in skips it. Default: every format is named.
   */
  namedFormats?: Format[];
  outDir: string;
  name?: string;
  ignitionFile?: string;
  ignitionSpecCheck: 'on' | 'off';
  authfile?: string;
  tlsVerify: boolean;
  kernel?: string;
  rootfsFormat: RootfsFormat;
  ignitionAreaSize?: number;
  liveKargAppend: string[];
  liveKargDelete: string[];
  kargAppend: string[];
  diskSizeMib?: number;
  rootFs: 'xfs' | 'ext4';
  emitManifest?: string;
  /** Who runs the disk manifest: day0's own stage executor, or osbuild where the builder image carries it. */
  engine: 'day0' | 'osbuild';
  /** Wait for another build holding the output dir instead of failing at once. */
  wait?: boolean;
  /** Install ISOs: --dest-* and --install-image (src/build/install.ts). */
  install?: InstallOptions;
}

export interface BuildResult {
  outDir: string;
  image: BootableImage;
  artifacts: Artifact[];
  warnings: string[];
  record: Record<string, unknown>;
  /** The user's config (for boot checks of media that carry none). Never logged. */
  ignition?: Buffer;
}

export function parseFormats(list: string): Format[] {
  const out: Format[] = [];
  for (const f of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (f === 'all') out.push(...ALL_FORMATS);
    else if ((ALL_FORMATS as readonly string[]).includes(f)) out.push(f as Format);
    else throw new Day0Error(`unknown format "${f}"`, { fix: `use a comma-separated list of: ${ALL_FORMATS.join(', ')} (or all)` });
  }
  if (out.length === 0) throw new Day0Error('no format given', { fix: `--format ${ALL_FORMATS.join(',')}` });
  return [...new Set(out)];
}

/** The formats of a --format list named one by one (not through `all`). */
export function namedFormats(list: string): Format[] {
  const named = list.split(',').map((f) => f.trim()).filter((f) => f !== '' && f !== 'all');
  return named.length ? parseFormats(named.join(',')) : [];
}

/** What one platform makes of the requested formats: the disk formats none of its boot modes boots are skipped. */
export function formatsFor(profile: Profile, o: Pick<BuildOptions, 'formats'>): { formats: Format[]; skipped: Format[] } {
  const disks = supportedDiskFormats(profile);
  const ok = (f: Format) => !(DISK_FORMATS as readonly string[]).includes(f) || disks.includes(f as DiskFormat);
  return { formats: o.formats.filter(ok), skipped: o.formats.filter((f) => !ok(f)) };
}

/**
 * Refuse, before any work, a format named one by one (not through `all`) that none of the requested platforms can
 * make; one that only some can make is skipped on the others (said in the progress output).
 */
export function checkFormats(profiles: Profile[], o: Pick<BuildOptions, 'formats' | 'namedFormats'>): void {
  for (const f of o.namedFormats ?? o.formats) {
    if (profiles.some((p) => formatsFor(p, { formats: [f] }).formats.length > 0)) continue;
    const arches = profiles.map((p) => p.arch).join(', ');
    const others = [...new Set(profiles.flatMap((p) => supportedDiskFormats(p)))];
    throw new Day0Error(`no ${f} image for ${arches}: no boot mode there boots ${FORMATS[f as DiskFormat].sectorSize}-byte-sector disks`, {
      fix: `drop ${f} (disk formats there: ${others.join(', ')}), or use --format all, which leaves it out where it does not apply`,
    });
  }
}

/**
 * Everything about the options that can be known before the first byte is built, checked per platform: the disk
 * layout fits --disk-size for every disk format, the config fits the ISO's Ignition area. Returns warnings (an
 * option that applies to no requested format). Throws a Day0Error otherwise, so a failed build publishes nothing.
 */
export async function preflight(profiles: Profile[], o: BuildOptions, ignition: Buffer | undefined): Promise<string[]> {
  const warnings: string[] = [];
  const isDisk = (f: Format) => (DISK_FORMATS as readonly string[]).includes(f);
  const anyDisk = profiles.some((p) => formatsFor(p, o).formats.some(isDisk));
  if (o.diskSizeMib !== undefined && !anyDisk) warnings.push(`--disk-size applies to disk formats (${DISK_FORMATS.join(', ')}); none is requested`);
  for (const p of profiles) {
    const formats = formatsFor(p, o).formats;
    for (const f of formats.filter(isDisk)) {
      planLayout(p, { sectorSize: FORMATS[f as DiskFormat].sectorSize, diskSizeMib: o.diskSizeMib ?? p.disk.default_size_mib, rootFs: o.rootFs });
    }
    if (ignition && formats.includes('iso')) {
      const area = o.ignitionAreaSize ?? p.live.ignition_area_size;
      const packed = (await packIgnitionInitrd(ignition, { compression: 'xz' })).length;
      if (packed > area) {
        throw new Day0Error(`the Ignition config is too large for the ISO's embed area: ${packed} bytes compressed, the area holds ${area}`, {
          fix: 'make the config smaller (fetch large files with contents.source), or pass a larger --ignition-area-size',
        });
      }
    }
  }
  return warnings;
}

/** Default artifact name: the image repository's last path component ("quay.io/x/my-os:1" → "my-os"). */
export function defaultName(ref: string): string {
  const noTransport = ref.replace(/^(docker:\/\/|oci-archive:|oci:|containers-storage:)/, '');
  const noTagDigest = noTransport.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^/:]+$/, '');
  const last = noTagDigest.split('/').filter(Boolean).pop() ?? 'os';
  return last.replace(/\.(tar|oci)$/, '').replace(/[^A-Za-z0-9._-]/g, '-') || 'os';
}

/** Read and validate the user's Ignition config; the content is never printed. */
export async function loadIgnition(file: string): Promise<{ data: Buffer; version: string; warnings: string[] }> {
  const data = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new Day0Error(`cannot read Ignition config ${file}: ${err.code ?? err.message}`, { fix: 'check the path and permissions' });
  });
  const res = validateIgnition(data.toString('utf8'));
  if (res.errors.length > 0 || !res.version) {
    throw new Day0Error(`Ignition config ${file} is invalid:\n  ${formatResult(res).join('\n  ')}`, {
      fix: 'correct the config (`day0 ignition validate FILE` shows the same report)',
    });
  }
  return { data, version: res.version, warnings: formatResult({ ...res, errors: [] }) };
}

export interface BuildAllResult {
  outDir: string;
  builds: BuildResult[];
  /** build.json: one record per arch (the config itself is never recorded). */
  record: { day0: { version: string }; created: string; arches: string[]; builds: Record<string, Record<string, unknown>>; checkBoot?: unknown };
  ignition?: Buffer;
}

/**
 * Build the media of every platform asked for, from one image reference (an image index gives each arch its own
 * manifest), into one output dir: DIR/<arch>/ per platform, DIR/SHA256SUMS and DIR/build.json for the whole run.
 */
export async function buildAll(ctxs: Context[], o: BuildOptions, progress: Progress): Promise<BuildAllResult> {
  checkFormats(ctxs.map((c) => c.profile), o); // before any work
  if (installRequested(o.install)) checkInstallOptions(o.formats, o.install);
  const ign = o.ignitionFile ? await loadIgnition(o.ignitionFile) : undefined;
  for (const w of ign?.warnings ?? []) progress.info(`warning: ${w}`);
  // The ISO embeds the live config: for an install ISO, the -i config plus the installer's (checked to fit too).
  const isoConfig = installRequested(o.install) ? installLiveConfig(ign?.data, o.install) : ign?.data;
  for (const w of await preflight(ctxs.map((c) => c.profile), o, isoConfig)) progress.info(`warning: ${w}`);
  const isDisk = (f: Format) => (DISK_FORMATS as readonly string[]).includes(f);
  if (o.engine === 'osbuild' && ctxs.some((c) => formatsFor(c.profile, o).formats.some(isDisk))) await checkOsbuildEngine(ctxs[0]!.exec, o.ref);
  // The output dir is ours (locked) from before the pull to the end; artifacts appear together at the end.
  const out = await OutputDir.open(o.outDir, { wait: Boolean(o.wait), onWait: (pid) => progress.info(`waiting for the day0 build with pid ${pid} to finish …`) });
  try {
    const builds: BuildResult[] = [];
    for (const ctx of ctxs) {
      if (ctxs.length > 1) progress.info(`${ctx.profile.arch}:`);
      builds.push(await buildArch(ctx, o, ign, out, progress));
    }
    const artifacts = builds.flatMap((b) => b.artifacts);
    const record = {
      day0: { version: VERSION },
      created: new Date().toISOString(),
      arches: ctxs.map((c) => c.profile.arch),
      builds: Object.fromEntries(builds.map((b, i) => [ctxs[i]!.profile.arch, b.record])),
    };
    await out.writeChecksums(artifacts);
    await out.writeFile('build.json', `${JSON.stringify(record, null, 2)}\n`);
    return { outDir: o.outDir, builds, record, ...(ign ? { ignition: ign.data } : {}) };
  } finally {
    await out.close();
  }
}

type LoadedIgnition = Awaited<ReturnType<typeof loadIgnition>>;

/** One platform: intake of its image, then its live media and disk images, published into DIR/<arch>/. */
async function buildArch(ctx: Context, all: BuildOptions, ign: LoadedIgnition | undefined, out: OutputDir, progress: Progress): Promise<BuildResult> {
  const warnings: string[] = [];
  const { formats, skipped } = formatsFor(ctx.profile, all);
  const o: BuildOptions = { ...all, formats };
  if (skipped.length) progress.info(`${ctx.profile.arch}: no ${skipped.join(', ')} (no boot mode of this platform boots such a disk)`);
  const img = await progress.step(`image ${o.ref} (${ctx.profile.arch})`, () => intake(ctx, o.ref, {
    arch: ctx.profile.arch, authfile: o.authfile, tlsVerify: o.tlsVerify, kernel: o.kernel,
    onProgress: (m) => progress.info(`  ${m}`),
  }), (i) => `${i.image.digest.slice(0, 19)}…, kernel ${i.kernel.version}${i.unpackCached ? ', cached' : ''}`);

  // Before the first medium byte: the output dir's filesystem can take what this platform's formats write.
  const layerBytes = img.image.layers.reduce((a, l) => a + l.size, 0);
  await ensureSpace(out.staging, outputEstimate(o.formats, layerBytes), `the ${ctx.profile.arch} media (${o.formats.join(', ')}) in ${o.outDir}`,
    'free space there, or pass another -o on a larger filesystem');

  if (ign) {
    const w = checkSpecAgainstImage(ign.version, img.ignitionVersion, { mode: o.ignitionSpecCheck });
    if (w) warnings.push(w);
  }
  for (const w of warnings) progress.info(`warning: ${w}`);

  const name = o.name ?? defaultName(o.ref);
  const artifacts: Artifact[] = [];
  const live = { pxe: o.formats.includes('pxe'), iso: o.formats.includes('iso') };
  // Install media: the image's installer is checked before anything is built; the install images come first.
  const wanted = installRequested(o.install) ? o.install : undefined;
  const install = wanted && live.iso ? wanted : undefined;
  const pxeInstall = wanted?.pxeUrl && wanted.destDevice && live.pxe ? wanted : undefined;
  if (wanted?.destDevice && live.pxe && !pxeInstall) progress.info('the PXE media stay live (no install): a PXE install needs --pxe-url, where the PXE artifacts will be served');
  let installImages: InstallImage[] = [];
  if (install || pxeInstall) {
    await checkImageInstaller(img, o.ref, (install ?? pxeInstall)!);
    installImages = await buildInstallImages(ctx, img, {
      name, diskSizeMib: o.diskSizeMib, kargAppend: o.kargAppend, rootFs: o.rootFs, tlsVerify: o.tlsVerify, engine: o.engine, only512: !install,
    }, join(out.staging, 'install'), progress);
  }
  const pxeNames = pxeInstallNames(name, ctx.profile.arch);
  if (live.pxe || live.iso) {
    artifacts.push(...(await buildLive(ctx, img, {
      formats: live, name, ignition: ign?.data, rootfsFormat: o.rootfsFormat, ignitionAreaSize: o.ignitionAreaSize,
      liveKargAppend: o.liveKargAppend, liveKargDelete: o.liveKargDelete,
      ...(install ? {
        isoIgnition: installLiveConfig(ign?.data, install),
        isoFiles: Object.fromEntries(installImages.map((x) => [x.isoPath, x.file])),
        isoTexts: { [INSTALL_MANIFEST_PATH]: `${JSON.stringify(installManifest(img.image.digest, installImages), null, 2)}\n` },
      } : {}),
      ...(pxeInstall ? {
        pxeIgnition: pxeInstallLiveConfig(ign?.data, pxeInstall),
        pxeKargs: pxeInstallKargs(pxeInstall, pxeNames),
        pxeFiles: [
          { kind: 'pxe-install-image', file: installImages.find((x) => x.sectorSize === 512)!.file, name: pxeNames.image, secret: false },
          ...(pxeInstall.destIgnition ? [{ kind: 'pxe-install-ignition', data: pxeInstall.destIgnition, name: pxeNames.ignition, secret: true }] : []),
        ],
      } : {}),
    }, out, progress)));
  }
  const disks = o.formats.filter((f): f is DiskFormat => (DISK_FORMATS as readonly string[]).includes(f));
  if (disks.length > 0 || o.emitManifest) {
    const made = await buildDiskImages(ctx, img, {
      formats: disks, name, ignition: ign?.data, diskSizeMib: o.diskSizeMib, kargAppend: o.kargAppend,
      rootFs: o.rootFs, outDir: out.staging, emitManifest: o.emitManifest, engine: o.engine, tlsVerify: o.tlsVerify, checksums: false, // OutputDir.publish hashes
      progress: (m: string) => progress.info(`  ${m}`),
    });
    // metal images carry the config on their boot partition.
    const secret = (f: DiskFormat) => Boolean(ign) && (f === 'metal' || f === 'metal4k');
    for (const d of made) artifacts.push(await out.publish(d.format, d.path, ctx.profile.arch, { secret: secret(d.format) }));
  }
  const record = buildRecord(ctx, o, img, name, artifacts, ign?.version, await toolVersions(ctx));
  if (install) record.install = installRecord(img.image.digest, installImages, install, Boolean(ign));
  if (pxeInstall) record.pxeInstall = { destDevice: pxeInstall.destDevice, kargs: pxeInstallKargs(pxeInstall, pxeNames), image: { digest: img.image.digest, ...installManifest(img.image.digest, installImages.filter((x) => x.sectorSize === 512)).images[0], path: pxeNames.image }, dest: pxeInstall.destIgnition ? `${pxeNames.ignition} (coreos.inst.ignition_url); the installer writes it to ignition/config.ign on the target's boot partition` : null };
  return { outDir: o.outDir, image: img, artifacts, warnings, record, ...(ign ? { ignition: ign.data } : {}) };
}

/** Debian packages whose tools make the media; their versions go into build.json. */
export const TOOL_PACKAGES = ['skopeo', 'umoci', 'xorriso', 'squashfs-tools', 'erofs-utils', 'mtools', 'dosfstools', 'e2fsprogs', 'xfsprogs', 'grub-common', 'qemu-utils'];

/**
 * Versions of the image tools that made this platform's media, where they run (package → version): the common
 * tools plus the profile's builder packages (its GRUB targets, firmware, QEMU); foreign-arch packages unpacked
 * into the builder are recorded from the version file the builder keeps for them. Empty when not Debian-based.
 */
export async function toolVersions(ctx: Context): Promise<Record<string, string>> {
  const pkgs = [...new Set([...TOOL_PACKAGES, ...ctx.profile.builder.packages])];
  const r = await ctx.exec.run({ argv: ['sh', '-c', 'dpkg-query -W -f \'${Package} ${Version}\\n\' "$@"; cat /usr/share/day0/foreign-packages 2>/dev/null || true', 'sh', ...pkgs], label: 'dpkg-query' });
  const foreign = new Set(ctx.profile.builder.foreign_packages.map((p) => p.split(':')[0]));
  const all = r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ', 2) as [string, string]);
  return Object.fromEntries(all.filter(([p]) => pkgs.includes(p) || foreign.has(p.split(':')[0]!)));
}

export function buildRecord(ctx: Context, o: BuildOptions, img: BootableImage, name: string, artifacts: Artifact[], ignitionSpec?: string, tools: Record<string, string> = {}): Record<string, unknown> {
  return {
    day0: { version: VERSION },
    created: new Date().toISOString(),
    name,
    arch: ctx.profile.arch,
    image: {
      input: img.image.input,
      pinned: img.image.pinned,
      digest: img.image.digest,
      indexDigest: img.image.indexDigest,
      labels: img.image.labels,
      os: { id: img.osRelease.ID, version: img.osRelease.VERSION_ID, name: img.osRelease.PRETTY_NAME ?? img.osRelease.NAME },
      kernel: img.kernel.version,
      ignition: { version: img.ignitionVersion, maxSpec: img.ignitionMaxSpec },
    },
    // The config itself is a secret: only its spec version is recorded.
    ignition: ignitionSpec ? { spec: ignitionSpec } : null,
    formats: o.formats,
    options: {
      rootfsFormat: o.rootfsFormat, liveKargAppend: o.liveKargAppend, liveKargDelete: o.liveKargDelete,
      kargAppend: o.kargAppend, diskSizeMib: o.diskSizeMib, rootFs: o.rootFs,
    },
    executor: ctx.exec.describe(),
    tools,
    artifacts,
  };
}

