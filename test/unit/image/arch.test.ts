// Arch names day0 ↔ OCI (from the profiles' identities) and the choice of one manifest from an image index.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfigArch, day0Arch, describeOciArch, hostArch, indexPlatforms, isIndex, ociArch, selectFromIndex, type ImageIndex } from '../../../src/image/arch.js';
import { Day0Error } from '../../../src/util/errors.js';
import { ARCHES, EACH_PROFILE, PROFILES_DIR } from '../../helpers/profiles.js';

/** Run the tests of a block with DAY0_PROFILES_DIR pointing at profiles/ plus identity-only ppc64le and s390x files. */
function withFuturePlatforms(): void {
  let dir: string;
  let saved: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'day0-arch-test-'));
    for (const a of ARCHES) await copyFile(join(PROFILES_DIR, `${a}.toml`), join(dir, `${a}.toml`));
    await writeFile(join(dir, 'ppc64le.toml'), 'arch = "ppc64le"\naliases = ["ppc64el"]\noci_arch = "ppc64le"\ndeb_arch = "ppc64el"\nnode_arch = "ppc64"\n');
    await writeFile(join(dir, 's390x.toml'), 'arch = "s390x"\noci_arch = "s390x"\ndeb_arch = "s390x"\nnode_arch = "s390x"\n');
    saved = process.env.DAY0_PROFILES_DIR;
    process.env.DAY0_PROFILES_DIR = dir;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.DAY0_PROFILES_DIR;
    else process.env.DAY0_PROFILES_DIR = saved;
    await rm(dir, { recursive: true, force: true });
  });
}

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
    expect(ociArch('amd64')).toBe('amd64');
    expect(ociArch('arm64')).toBe('arm64');
    expect(day0Arch('amd64')).toBe('x86_64');
    expect(day0Arch('arm64')).toBe('aarch64');
    expect(day0Arch('riscv64')).toBeUndefined();
    expect(hostArch('x64')).toBe('x86_64');
    expect(hostArch('arm64')).toBe('aarch64');
    // a host no profile has keeps Node's name
    expect(hostArch('riscv64')).toBe('riscv64');
    expect(describeOciArch('arm64', 'v8')).toBe('arm64/v8 (aarch64)');
    expect(describeOciArch('riscv64')).toBe('riscv64');
  });

  it.each(EACH_PROFILE)('%s: from its profile identity', (arch, p) => {
    expect(ociArch(arch)).toBe(p.oci_arch);
    expect(day0Arch(p.oci_arch)).toBe(arch);
    expect(hostArch(p.node_arch)).toBe(arch);
  });

  it('an arch without a profile is unknown', () => {
    if (!ARCHES.includes('s390x')) expect(() => ociArch('s390x')).toThrow(/unknown architecture "s390x"/);
  });

  describe('with more platforms in the profiles dir (a new platform is a new file)', () => {
    withFuturePlatforms();
    it('maps them too', () => {
      expect(ociArch('ppc64le')).toBe('ppc64le');
      expect(ociArch('ppc64el')).toBe('ppc64le');
      expect(ociArch('s390x')).toBe('s390x');
      expect(day0Arch('ppc64le')).toBe('ppc64le');
      expect(hostArch('ppc64')).toBe('ppc64le');
      expect(hostArch('s390x')).toBe('s390x');
      expect(ociArch('x86_64')).toBe('amd64');
    });
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
    const amd64Only: ImageIndex = { manifests: index.manifests.filter((m) => m.platform?.architecture !== 'arm64') };
    let e: unknown;
    try {
      selectFromIndex(amd64Only, 'aarch64', 'quay.io/a/b:c');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Error).message).toBe('quay.io/a/b:c has no aarch64 (linux/arm64) image; it has: linux/amd64, windows/amd64');
    expect((e as Day0Error).fix).toMatch(/--arch x86_64/);
  });

  describe('for a platform the index lacks (s390x)', () => {
    withFuturePlatforms();
    it('refuses, listing what the index has and the --arch choices', () => {
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
  });

  it('the arm64 variant preference comes from the profile (oci_variant = "v8")', () => {
    const i: ImageIndex = {
      manifests: [
        { digest: d('7'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v7' } },
        { digest: d('8'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    };
    expect(selectFromIndex(i, 'aarch64', 'img').digest).toBe(d('8'));
    // x86_64 declares no variant: the entry without one, else the first
    const j: ImageIndex = { manifests: [{ digest: d('9'), size: 1, platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } }, { digest: d('a'), size: 1, platform: { os: 'linux', architecture: 'amd64' } }] };
    expect(selectFromIndex(j, 'x86_64', 'img').digest).toBe(d('a'));
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
