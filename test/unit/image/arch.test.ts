import { describe, expect, it } from 'vitest';
import { checkConfigArch, day0Arch, hostArch, indexPlatforms, isIndex, ociArch, selectFromIndex, type ImageIndex } from '../../../src/image/arch.js';
import { Day0Error } from '../../../src/util/errors.js';

const d = (n: string) => `sha256:${n.repeat(64)}`;
const index: ImageIndex = {
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    { digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: d('3'), size: 1, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    { digest: d('4'), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
  ],
};

describe('arch names', () => {
  it('maps day0 ↔ OCI', () => {
    expect(ociArch('x86_64')).toBe('amd64');
    expect(ociArch('aarch64')).toBe('arm64');
    expect(ociArch('ppc64le')).toBe('ppc64le');
    expect(ociArch('s390x')).toBe('s390x');
    expect(day0Arch('arm64')).toBe('aarch64');
    expect(day0Arch('riscv64')).toBeUndefined();
    expect(hostArch('x64')).toBe('x86_64');
    expect(hostArch('arm64')).toBe('aarch64');
  });
});

describe('selectFromIndex', () => {
  it('picks the linux entry of the asked arch (never windows, never attestations)', () => {
    expect(selectFromIndex(index, 'x86_64', 'img').digest).toBe(d('1'));
    expect(selectFromIndex(index, 'aarch64', 'img').digest).toBe(d('2'));
  });

  it('prefers arm64/v8 (or no variant) over other variants', () => {
    const i: ImageIndex = {
      manifests: [
        { digest: d('5'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v9' } },
        { digest: d('6'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    };
    expect(selectFromIndex(i, 'aarch64', 'img').digest).toBe(d('6'));
  });

  it('refuses a missing arch, listing what the index has', () => {
    let e: unknown;
    try {
      selectFromIndex(index, 's390x', 'quay.io/a/b:c');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Error).message).toBe('quay.io/a/b:c has no s390x (linux/s390x) image; it has: linux/amd64, linux/arm64/v8, windows/amd64');
    expect((e as Day0Error).fix).toMatch(/--arch x86_64 \| --arch aarch64/);
  });

  it('lists platforms without attestations; recognises indexes', () => {
    expect(indexPlatforms(index)).toEqual(['linux/amd64', 'linux/arm64/v8', 'windows/amd64']);
    expect(isIndex(index)).toBe(true);
    expect(isIndex({ manifests: [] })).toBe(true);
    expect(isIndex({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [] })).toBe(true);
    expect(isIndex({ config: {}, layers: [] })).toBe(false);
  });
});

describe('checkConfigArch', () => {
  it('accepts the asked arch', () => {
    expect(() => checkConfigArch({ architecture: 'amd64', os: 'linux' }, 'x86_64', 'img')).not.toThrow();
  });
  it('refuses a single-arch image for another arch, naming both and the fix', () => {
    expect(() => checkConfigArch({ architecture: 'arm64', os: 'linux' }, 'x86_64', 'img')).toThrow(
      'img is for arm64 (aarch64), but x86_64 (amd64) was asked for',
    );
    try {
      checkConfigArch({ architecture: 'arm64', os: 'linux' }, 'x86_64', 'img');
    } catch (e) {
      expect((e as Day0Error).fix).toMatch(/--arch aarch64/);
    }
  });
  it('refuses non-Linux and arch-less configs', () => {
    expect(() => checkConfigArch({ architecture: 'amd64', os: 'windows' }, 'x86_64', 'img')).toThrow(/windows image/);
    expect(() => checkConfigArch({ os: 'linux' }, 'x86_64', 'img')).toThrow(/does not say which architecture/);
  });
});
