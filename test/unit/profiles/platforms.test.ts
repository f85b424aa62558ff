// The platforms are the files in profiles/: identities, spellings (aliases, OCI, Debian, Node), --arch lists.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archForOci, defaultArch, findArch, hostArch, knownArches, normalizeArch, parseArchList, platformOf, platforms } from '../../../src/profiles/platforms.js';
import { Day0Error } from '../../../src/util/errors.js';
import { ARCHES, EACH_PROFILE, PROFILES_DIR } from '../../helpers/profiles.js';

let future: string;
beforeAll(async () => {
  // A profiles dir with two more (identity-only) platforms, as ppc64le and s390x will be.
  future = await mkdtemp(join(tmpdir(), 'day0-platforms-test-'));
  await writeFile(join(future, 'x86_64.toml'), 'arch = "x86_64"\naliases = ["amd64"]\noci_arch = "amd64"\ndeb_arch = "amd64"\nnode_arch = "x64"\n');
  await writeFile(join(future, 'ppc64le.toml'), 'arch = "ppc64le"\naliases = ["ppc64el"]\noci_arch = "ppc64le"\ndeb_arch = "ppc64el"\nnode_arch = "ppc64"\n');
  await writeFile(join(future, 's390x.toml'), 'arch = "s390x"\noci_arch = "s390x"\ndeb_arch = "s390x"\nnode_arch = "s390x"\n');
  await writeFile(join(future, 'broken.toml'), 'arch = = "x"\n');
  await writeFile(join(future, 'README.md'), '# not a profile\n');
});
afterAll(async () => {
  await rm(future, { recursive: true, force: true });
});

describe('platforms()', () => {
  it('lists every profile with its identity', () => {
    expect(platforms(PROFILES_DIR).map((p) => p.arch)).toEqual(ARCHES);
    expect(ARCHES).toEqual(expect.arrayContaining(['x86_64', 'aarch64']));
  });

  it.each(EACH_PROFILE)('%s: identity agrees with the loaded profile', (arch, p) => {
    const id = platformOf(arch, PROFILES_DIR);
    expect(id).toEqual({ arch: p.arch, aliases: p.aliases, oci_arch: p.oci_arch, ...(p.oci_variant ? { oci_variant: p.oci_variant } : {}), deb_arch: p.deb_arch, node_arch: p.node_arch });
    expect(archForOci(p.oci_arch, PROFILES_DIR)).toBe(arch);
    expect(hostArch(p.node_arch, PROFILES_DIR)).toBe(arch);
  });

  it('are whatever .toml files the directory holds (a new platform is a new file); a broken one is listed by its name, so using it reports its error', () => {
    expect(knownArches(future)).toEqual(['broken', 'ppc64le', 's390x', 'x86_64']);
    expect(normalizeArch('ppc64el', future)).toBe('ppc64le');
    expect(archForOci('s390x', future)).toBe('s390x');
    expect(hostArch('ppc64', future)).toBe('ppc64le');
    expect(findArch('aarch64', future)).toBeUndefined();
  });

  it('a missing profiles dir is a clear error', () => {
    expect(() => platforms(join(future, 'nope'))).toThrow(/no platform profiles found in/);
  });
});

describe('normalizeArch', () => {
  it.each([
    ['x86_64', 'x86_64'],
    ['amd64', 'x86_64'],
    ['x64', 'x86_64'],
    ['aarch64', 'aarch64'],
    ['arm64', 'aarch64'],
  ])('%s → %s', (input, want) => {
    expect(normalizeArch(input, PROFILES_DIR)).toBe(want);
  });

  it('an unknown arch error lists the profiles and where they live', () => {
    let e: unknown;
    try {
      normalizeArch('riscv64', PROFILES_DIR);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Day0Error).message).toContain('unknown architecture "riscv64"');
    expect((e as Day0Error).fix).toContain(`use one of: ${ARCHES.join(', ')}`);
    expect((e as Day0Error).fix).toContain(PROFILES_DIR);
  });

  it('an arch that has no profile (yet) is unknown', () => {
    // s390x has a profile in `future` only
    expect(normalizeArch('s390x', future)).toBe('s390x');
    if (!ARCHES.includes('s390x')) expect(() => normalizeArch('s390x', PROFILES_DIR)).toThrow(/unknown architecture "s390x"/);
  });

  it('no silent guessing: case and empty names are refused', () => {
    expect(() => normalizeArch('X86_64', PROFILES_DIR)).toThrow(Day0Error);
    expect(() => normalizeArch('ARM64', PROFILES_DIR)).toThrow(Day0Error);
    expect(() => normalizeArch('', PROFILES_DIR)).toThrow(Day0Error);
  });
});

describe('parseArchList (--arch)', () => {
  it('all = every profile', () => {
    expect(parseArchList('all', PROFILES_DIR)).toEqual(ARCHES);
    expect(parseArchList('all', future)).toEqual(['broken', 'ppc64le', 's390x', 'x86_64']);
  });

  it('one name, aliases, comma-separated lists, deduplicated in the given order', () => {
    expect(parseArchList('aarch64', PROFILES_DIR)).toEqual(['aarch64']);
    expect(parseArchList('arm64,amd64', PROFILES_DIR)).toEqual(['aarch64', 'x86_64']);
    expect(parseArchList(' x86_64 , amd64,aarch64 ', PROFILES_DIR)).toEqual(['x86_64', 'aarch64']);
  });

  it('an unknown name in the list is refused; an empty list names no platform', () => {
    expect(() => parseArchList('x86_64,riscv64', PROFILES_DIR)).toThrow(/unknown architecture "riscv64"/);
    expect(() => parseArchList(',', PROFILES_DIR)).toThrow(/--arch names no platform/);
    expect(() => parseArchList('', PROFILES_DIR)).toThrow(Day0Error);
  });
});

describe('defaultArch (the --arch default is the host)', () => {
  it('is the profile whose node_arch is this host', () => {
    const host = hostArch(process.arch, PROFILES_DIR);
    if (host) expect(defaultArch(PROFILES_DIR)).toBe(host);
    else expect(() => defaultArch(PROFILES_DIR)).toThrow(/has no platform profile, so --arch has no default/);
  });

  it('a host without a profile has no default, and the error lists the platforms', async () => {
    const dir = await mkdtemp(join(future, 'other-host-'));
    await writeFile(join(dir, 'fakearch.toml'), `arch = "fakearch"\noci_arch = "fakearch"\ndeb_arch = "fakearch"\nnode_arch = "not-${process.arch}"\n`);
    expect(hostArch(process.arch, dir)).toBeUndefined();
    let e: unknown;
    try {
      defaultArch(dir);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Day0Error).message).toContain(`this host (${process.arch}) has no platform profile`);
    expect((e as Day0Error).fix).toContain('fakearch');
  });
});
