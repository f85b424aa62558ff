// `day0 build`: image reference → pulled image → root filesystem → media → (optional) boot check.
// Thin orchestration over intake, live media, disk images and check-boot; the output dir is atomic per artifact.
import { readFile } from 'node:fs/promises';
import type { Context } from '../cli/context.js';
import { buildDiskImages, type DiskFormat } from '../disk/build.js';
import { intake } from '../image/intake.js';
import type { BootableImage } from '../image/types.js';
import { checkSpecAgainstImage } from '../ignition/spec-check.js';
import { formatResult, validateIgnition } from '../ignition/validate.js';
import { Day0Error } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { buildLive } from './live.js';
import { OutputDir, type Artifact } from './output.js';
import type { Progress } from './progress.js';
import type { RootfsFormat } from '../media/rootfs.js';

export const LIVE_FORMATS = ['pxe', 'iso'] as const;
export const DISK_FORMATS = ['metal', 'metal4k', 'qemu', 'vmware', 'azure'] as const;
export const ALL_FORMATS = [...LIVE_FORMATS, ...DISK_FORMATS] as const;
export type Format = (typeof ALL_FORMATS)[number];

export interface BuildOptions {
  ref: string;
  formats: Format[];
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

export async function build(ctx: Context, o: BuildOptions, progress: Progress): Promise<BuildResult> {
  const warnings: string[] = [];
  const ign = o.ignitionFile ? await loadIgnition(o.ignitionFile) : undefined;
  warnings.push(...(ign?.warnings ?? []));

  const img = await progress.step(`image ${o.ref}`, () => intake(ctx, o.ref, {
    arch: ctx.profile.arch, authfile: o.authfile, tlsVerify: o.tlsVerify, kernel: o.kernel,
    onProgress: (m) => progress.info(`  ${m}`),
  }), (i) => `${i.image.digest.slice(0, 19)}…, kernel ${i.kernel.version}${i.unpackCached ? ', cached' : ''}`);

  if (ign) {
    const w = checkSpecAgainstImage(ign.version, img.ignitionVersion, { mode: o.ignitionSpecCheck });
    if (w) warnings.push(w);
  }
  for (const w of warnings) progress.info(`warning: ${w}`);

  const name = o.name ?? defaultName(o.ref);
  const out = await OutputDir.open(o.outDir);
  const artifacts: Artifact[] = [];
  try {
    const live = { pxe: o.formats.includes('pxe'), iso: o.formats.includes('iso') };
    if (live.pxe || live.iso) {
      artifacts.push(...(await buildLive(ctx, img, {
        formats: live, name, ignition: ign?.data, rootfsFormat: o.rootfsFormat, ignitionAreaSize: o.ignitionAreaSize,
        liveKargAppend: o.liveKargAppend, liveKargDelete: o.liveKargDelete,
      }, out, progress)));
    }
    const disks = o.formats.filter((f): f is DiskFormat => (DISK_FORMATS as readonly string[]).includes(f));
    if (disks.length > 0 || o.emitManifest) {
      const made = await buildDiskImages(ctx, img, {
        formats: disks, name, ignition: ign?.data, diskSizeMib: o.diskSizeMib, kargAppend: o.kargAppend,
        rootFs: o.rootFs, outDir: out.staging, emitManifest: o.emitManifest, engine: o.engine, checksums: false, // OutputDir.publish hashes
        progress: (m: string) => progress.info(`  ${m}`),
      });
      // metal images carry the config on their boot partition.
      const secret = (f: DiskFormat) => Boolean(ign) && (f === 'metal' || f === 'metal4k');
      for (const d of made) artifacts.push(await out.publish(d.format, d.path, ctx.profile.arch, { secret: secret(d.format) }));
    }
    const record = buildRecord(ctx, o, img, name, artifacts, ign?.version, await toolVersions(ctx));
    await out.writeChecksums(artifacts);
    await out.writeFile('build.json', `${JSON.stringify(record, null, 2)}\n`);
    return { outDir: o.outDir, image: img, artifacts, warnings, record, ignition: ign?.data };
  } finally {
    await out.close();
  }
}

/** Debian packages whose tools make the media; their versions go into build.json. */
export const TOOL_PACKAGES = ['skopeo', 'umoci', 'xorriso', 'squashfs-tools', 'erofs-utils', 'mtools', 'dosfstools', 'e2fsprogs', 'xfsprogs', 'grub-efi-amd64-bin', 'grub-pc-bin', 'isolinux', 'qemu-utils'];

/** Versions of the image tools where they run (package → version); empty when not a Debian-based builder. */
export async function toolVersions(ctx: Context): Promise<Record<string, string>> {
  const r = await ctx.exec.run({ argv: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', ...TOOL_PACKAGES], label: 'dpkg-query' });
  return Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ', 2) as [string, string]));
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

