// Image intake: reference → pinned digest → cached layout → unpacked root filesystem → boot contract.
// Everything after intake uses BootableImage (digest-pinned paths in the cache), never the reference again.
import { statSync } from 'node:fs';
import type { Arch } from '../profiles/schema.js';
import { ociArch } from './arch.js';
import { maxSpecForIgnition as specForIgnition } from '../ignition/spec-check.js';
import { Day0Error } from '../util/errors.js';
import { chooseKernel, findKernels, probeIgnition, readOsRelease } from './bootable.js';
import { cachePaths, hexOf, readMeta, updateMeta, type IgnitionProbe } from './cache.js';
import { pullImage, type IntakeContext, type PullResult } from './pull.js';
import type { BootableImage, KernelInfo, LayerInfo, PullOptions } from './types.js';
import { unpackImage } from './unpack.js';

export type { IntakeContext } from './pull.js';

/** Ignition version per kernel, cached in the entry's metadata (it costs a decompression of the initramfs). */
async function ignitionFor(
  ctx: IntakeContext,
  digest: string,
  k: KernelInfo,
  signal: AbortSignal | undefined,
  progress: (m: string) => void,
): Promise<IgnitionProbe> {
  const hex = hexOf(digest);
  const p = cachePaths();
  const cached = (await readMeta(hex, p))?.ignition?.[k.version];
  if (cached) return cached;
  progress(`reading the Ignition version from the initramfs of ${k.version}`);
  const probe = await probeIgnition(ctx, k.initramfs, signal);
  await updateMeta(hex, (m) => ({ ...m, ignition: { ...(m.ignition ?? {}), [k.version]: probe } }), p);
  return probe;
}

interface IntakeDetail {
  image: BootableImage;
  ignition: IgnitionProbe;
  /** Set when several kernels were found and none was chosen (inspect only). */
  kernelNote?: string;
}

async function intakeDetail(ctx: IntakeContext, input: string, opts: PullOptions, lenient: boolean): Promise<IntakeDetail> {
  const pulled: PullResult = await pullImage(ctx, input, opts);
  const progress = opts.onProgress ?? (() => undefined);
  const unpacked = await unpackImage(ctx, pulled, { ...(opts.signal ? { signal: opts.signal } : {}), onProgress: progress });
  const scan = findKernels(unpacked.rootfs);
  let kernel: KernelInfo;
  let kernelNote: string | undefined;
  if (lenient && !opts.kernel && scan.kernels.length > 1) {
    kernel = scan.kernels[scan.kernels.length - 1]!;
    kernelNote = `several kernels; builds need --kernel (Ignition read from ${kernel.version})`;
  } else {
    kernel = chooseKernel(scan, opts.kernel, input);
  }
  const osRelease = await readOsRelease(unpacked.rootfs);
  const ignition = await ignitionFor(ctx, pulled.digest, kernel, opts.signal, progress);
  const { layoutCached: _l, ...image } = pulled;
  const out: BootableImage = {
    image,
    rootfs: unpacked.rootfs,
    kernel,
    kernels: scan.kernels,
    osRelease,
    unpackCached: unpacked.cached,
  };
  if (ignition.version) {
    out.ignitionVersion = ignition.version;
    const spec = maxSpecForIgnition(ignition.version);
    if (spec) out.ignitionMaxSpec = spec;
  }
  const d: IntakeDetail = { image: out, ignition };
  if (kernelNote) d.kernelNote = kernelNote;
  return d;
}

/** Highest stable config spec an image's Ignition parses (src/ignition/spec-check.ts); undefined before 2.0. */
export function maxSpecForIgnition(version: string): string | undefined {
  try {
    return specForIgnition(version);
  } catch (err) {
    if (err instanceof Day0Error) return undefined;
    throw err;
  }
}

/**
 * parse → pull (pinned to one digest) → unpack (cached by digest) → boot contract. The cache entry stays marked in
 * use until this process exits, so `day0 cache prune` elsewhere cannot remove the root filesystem under a build.
 */
export async function intake(ctx: IntakeContext, input: string, opts: PullOptions): Promise<BootableImage> {
  return (await intakeDetail(ctx, input, opts, false)).image;
}

// ---------------------------------------------------------------------------------------------------------------
// `day0 inspect`

export interface InspectReport {
  input: string;
  pinned: string;
  digest: string;
  indexDigest?: string;
  arch: Arch;
  ociArch: string;
  created?: string;
  os: { name?: string; version?: string; id?: string; versionId?: string; prettyName?: string };
  osRelease: Record<string, string>;
  kernel: string;
  kernelNote?: string;
  kernels: { version: string; vmlinuzSize: number; initramfsSize: number }[];
  initramfsSize: number;
  ignition: { version?: string; raw?: string; maxSpec?: string; note?: string };
  labels: Record<string, string>;
  layers: LayerInfo[];
  layersTotalSize: number;
  cache: { bytesPulled: number; unpackCached: boolean; layoutDir: string; rootfs: string };
}

export async function inspectImage(ctx: IntakeContext, input: string, opts: PullOptions): Promise<InspectReport> {
  const { image: b, ignition, kernelNote } = await intakeDetail(ctx, input, opts, true);
  const os = b.osRelease;
  const r: InspectReport = {
    input,
    pinned: b.image.pinned,
    digest: b.image.digest,
    arch: b.image.arch,
    ociArch: ociArch(b.image.arch),
    os: {},
    osRelease: os,
    kernel: b.kernel.version,
    kernels: b.kernels.map((k) => ({ version: k.version, vmlinuzSize: statSync(k.vmlinuz).size, initramfsSize: k.initramfsSize })),
    initramfsSize: b.kernel.initramfsSize,
    ignition: {},
    labels: b.image.labels,
    layers: b.image.layers,
    layersTotalSize: b.image.layers.reduce((a, l) => a + l.size, 0),
    cache: { bytesPulled: b.image.bytesPulled, unpackCached: b.unpackCached, layoutDir: b.image.layoutDir, rootfs: b.rootfs },
  };
  if (b.image.indexDigest) r.indexDigest = b.image.indexDigest;
  if (b.image.created) r.created = b.image.created;
  if (kernelNote) r.kernelNote = kernelNote;
  if (os.NAME) r.os.name = os.NAME;
  if (os.VERSION) r.os.version = os.VERSION;
  if (os.ID) r.os.id = os.ID;
  if (os.VERSION_ID) r.os.versionId = os.VERSION_ID;
  if (os.PRETTY_NAME) r.os.prettyName = os.PRETTY_NAME;
  if (ignition.version) r.ignition.version = ignition.version;
  if (ignition.raw) r.ignition.raw = ignition.raw;
  if (b.ignitionMaxSpec) r.ignition.maxSpec = b.ignitionMaxSpec;
  if (ignition.note) r.ignition.note = ignition.note;
  return r;
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}

export function formatInspect(r: InspectReport): string {
  const L: string[] = [];
  const row = (k: string, v: string) => L.push(`${`${k}:`.padEnd(14)}${v}`);
  row('image', r.input);
  row('pinned', r.pinned);
  row('digest', r.digest);
  if (r.indexDigest) row('index', `${r.indexDigest} (multi-arch)`);
  row('arch', `${r.arch} (OCI ${r.ociArch})`);
  if (r.created) row('created', r.created);
  const osName = r.os.prettyName ?? ([r.os.name, r.os.version].filter(Boolean).join(' ') || '(no os-release)');
  row('os', `${osName}${r.os.id ? `  [ID=${r.os.id}${r.os.versionId ? ` VERSION_ID=${r.os.versionId}` : ''}]` : ''}`);
  row('kernel', r.kernels.length > 1 ? `${r.kernel} (of ${r.kernels.map((k) => k.version).join(', ')})` : r.kernel);
  if (r.kernelNote) row('', r.kernelNote);
  row('initramfs', mb(r.initramfsSize));
  row(
    'ignition',
    r.ignition.version
      ? `${r.ignition.version}${r.ignition.raw && r.ignition.raw !== r.ignition.version ? ` ("${r.ignition.raw}")` : ''} → configs up to spec ${r.ignition.maxSpec ?? '2.x (legacy, not supported)'}`
      : `not detected${r.ignition.note ? ` (${r.ignition.note})` : ''}`,
  );
  const labels = Object.entries(r.labels).sort(([a], [b]) => a.localeCompare(b));
  row('labels', labels.length ? '' : '(none)');
  for (const [k, v] of labels) L.push(`  ${k}=${v}`);
  row('layers', `${r.layers.length}, ${mb(r.layersTotalSize)} compressed`);
  r.layers.forEach((l, i) => L.push(`  ${String(i + 1).padStart(2)}  ${l.digest.slice(0, 19)}…  ${mb(l.size).padStart(9)}`));
  row('pulled', r.cache.bytesPulled ? mb(r.cache.bytesPulled) : '0 B (all blobs cached)');
  row('rootfs', `${r.cache.rootfs}${r.cache.unpackCached ? ' (cached)' : ''}`);
  return `${L.join('\n')}\n`;
}
