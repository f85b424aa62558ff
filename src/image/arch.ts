// Architectures: day0's names (x86_64, aarch64, ppc64le, s390x) ↔ OCI's (amd64, arm64, ppc64le, s390x), and the
// choice of one image manifest from a multi-arch index. Pure functions: no I/O.
import { archForOci, hostArch as profileHostArch, platformOf } from '../profiles/platforms.js';
import type { Arch } from '../profiles/schema.js';
import { Day0Error } from '../util/errors.js';

export function ociArch(arch: Arch): string {
  return platformOf(arch).oci_arch;
}

/** day0 name for an OCI architecture, or undefined when day0 has no platform for it. */
export function day0Arch(oci: string): Arch | undefined {
  return archForOci(oci);
}

/** "arm64 (aarch64)", "riscv64" — an OCI arch with day0's name when it has one. */
export function describeOciArch(oci: string, variant?: string): string {
  const d = day0Arch(oci);
  const v = variant ? `/${variant}` : '';
  return d && d !== oci ? `${oci}${v} (${d})` : `${oci}${v}`;
}

/** The architecture of the machine day0 runs on, as a day0 name (Node's name when no profile has it). */
export function hostArch(nodeArch: string = process.arch): Arch {
  return profileHostArch(nodeArch) ?? nodeArch;
}

export const INDEX_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface Platform {
  architecture?: string;
  os?: string;
  variant?: string;
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion?: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  schemaVersion?: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Is this parsed manifest document an index / manifest list (rather than one image's manifest)? */
export function isIndex(doc: unknown): doc is ImageIndex {
  if (!doc || typeof doc !== 'object') return false;
  const d = doc as { mediaType?: unknown; manifests?: unknown; config?: unknown };
  if (typeof d.mediaType === 'string' && INDEX_MEDIA_TYPES.includes(d.mediaType)) return true;
  return Array.isArray(d.manifests) && d.config === undefined;
}

/** Attestations and other non-image entries that registries put into indexes (platform unknown/unknown). */
function isImageEntry(d: Descriptor): boolean {
  if (d.annotations?.['vnd.docker.reference.type']) return false;
  const p = d.platform;
  return !(p && p.os === 'unknown' && p.architecture === 'unknown');
}

/** The platforms an index offers, e.g. ["linux/amd64", "linux/arm64/v8"]. */
export function indexPlatforms(index: ImageIndex): string[] {
  const out: string[] = [];
  for (const d of index.manifests) {
    if (!isImageEntry(d)) continue;
    const p = d.platform;
    const s = p ? `${p.os ?? '?'}/${p.architecture ?? '?'}${p.variant ? `/${p.variant}` : ''}` : '(no platform)';
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * Pick the manifest for `arch` (linux) from an index, preferring the profile's `oci_variant` (or none). Refused — with the list of
 * what the index has — when there is no such entry.
 */
export function selectFromIndex(index: ImageIndex, arch: Arch, what: string): Descriptor {
  const want = ociArch(arch);
  const candidates = index.manifests.filter(
    (d) => isImageEntry(d) && d.platform?.architecture === want && (d.platform.os ?? 'linux') === 'linux',
  );
  if (candidates.length === 0) {
    const have = indexPlatforms(index);
    throw new Day0Error(
      `${what} has no ${arch} (linux/${want}) image; it has: ${have.length ? have.join(', ') : 'no platform entries'}`,
      {
        fix: have.some((p) => p.startsWith('linux/') && day0Arch(p.split('/')[1] ?? ''))
          ? `pick one of its architectures with --arch ${have
              .map((p) => day0Arch(p.split('/')[1] ?? ''))
              .filter((a): a is Arch => a !== undefined)
              .filter((a, i, all) => all.indexOf(a) === i)
              .join(' | --arch ')}, or use an image built for ${arch}`
          : `use an image built for ${arch}`,
      },
    );
  }
  const variant = platformOf(arch).oci_variant;
  if (variant) {
    const preferred = candidates.find((d) => !d.platform?.variant || d.platform.variant === variant);
    if (preferred) return preferred;
  }
  const plain = candidates.find((d) => !d.platform?.variant);
  return plain ?? candidates[0]!;
}

export interface ImageConfigArch {
  architecture?: string;
  os?: string;
  variant?: string;
}

/** Refuse a single-arch image whose config names another architecture (or another OS) than the one asked for. */
export function checkConfigArch(config: ImageConfigArch, arch: Arch, what: string): void {
  const want = ociArch(arch);
  const got = config.architecture;
  if (config.os && config.os !== 'linux') {
    throw new Day0Error(`${what} is a ${config.os} image, not a Linux one`, { fix: 'use a Linux OS image' });
  }
  if (!got) {
    throw new Day0Error(`${what} does not say which architecture it is for (no "architecture" in its config)`, {
      fix: `rebuild it with the architecture set (podman build --arch ${want} / --platform linux/${want})`,
    });
  }
  if (got !== want) {
    const d = day0Arch(got);
    throw new Day0Error(`${what} is for ${describeOciArch(got, config.variant)}, but ${arch} (${want}) was asked for`, {
      fix: d ? `pass --arch ${d} to use it as it is, or use the image's ${arch} build` : `use an image built for ${arch}`,
    });
  }
}

