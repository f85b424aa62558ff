// What image intake hands to the rest of day0: image reference → pulled image → root filesystem → boot artifacts.
import type { Arch } from '../profiles/schema.js';

/** A parsed image reference in skopeo/podman transport syntax. */
export type ImageRef =
  | { transport: 'docker'; name: string; /** host/repo */ tag?: string; digest?: string }
  | { transport: 'oci-archive'; path: string; tag?: string }
  | { transport: 'oci'; path: string; tag?: string }
  | { transport: 'containers-storage'; ref: string };

export interface PullOptions {
  arch: Arch;
  /** podman/skopeo auth file; else REGISTRY_AUTH_FILE, else the default locations. Never logged. */
  authfile?: string;
  /** false only when asked (plain-HTTP demo registry). */
  tlsVerify?: boolean;
  /** Pick this kernel version when the image has several. */
  kernel?: string;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
}

export interface LayerInfo {
  digest: string;
  size: number;
  mediaType: string;
}

/** An image resolved to one manifest digest and copied into day0's content-addressed cache. */
export interface PulledImage {
  /** What the user typed. */
  input: string;
  /** Resolved, pinned: `name@sha256:…` (docker) or transport:path@digest. */
  pinned: string;
  /** Manifest digest of the selected arch's image manifest; everything after uses this. */
  digest: string;
  /** Index digest when the reference named a multi-arch index. */
  indexDigest?: string;
  arch: Arch;
  /** OCI image layout dir in the cache holding exactly this image (tag = digest hex). */
  layoutDir: string;
  layoutTag: string;
  labels: Record<string, string>;
  layers: LayerInfo[];
  created?: string;
  /** Bytes fetched by this intake (0 when fully cached). */
  bytesPulled: number;
}

export interface KernelInfo {
  version: string;
  /** Absolute host paths inside the unpacked root filesystem. */
  vmlinuz: string;
  initramfs: string;
  initramfsSize: number;
}

/** A pulled image unpacked to a root filesystem and checked against the boot contract. */
export interface BootableImage {
  image: PulledImage;
  /** Host path of the unpacked root filesystem (read-only by convention; shared cache: never modify). */
  rootfs: string;
  kernel: KernelInfo;
  /** All kernels found (the chosen one is `kernel`). */
  kernels: KernelInfo[];
  osRelease: Record<string, string>;
  /** Ignition version found in the initramfs, e.g. "2.14.0"; undefined when not detectable. */
  ignitionVersion?: string;
  /** Highest Ignition config spec that version parses, e.g. "3.3.0". */
  ignitionMaxSpec?: string;
  /** True when this intake unpacked nothing (root filesystem came from the cache). */
  unpackCached: boolean;
}
