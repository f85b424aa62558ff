// Platform profiles: profiles/<arch>.toml parsed with @iarna/toml and validated with zod. A typo must fail loudly at
// load time, naming the file and the offending field.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile, normalizeArch, parseProfile } from '../../src/profiles/load.js';
import { ARCHES, ProfileSchema } from '../../src/profiles/schema.js';
import { Day0Error } from '../../src/util/errors.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const PROFILES = join(PACKAGE_ROOT, 'profiles');
let x86Text: string;
let work: string;

beforeAll(async () => {
  x86Text = await readFile(join(PROFILES, 'x86_64.toml'), 'utf8');
  work = await mkdtemp(join(tmpdir(), 'day0-profiles-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The error thrown by `fn` (fails the test when nothing is thrown). */
function thrown(fn: () => unknown): Day0Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Day0Error);
    return err as Day0Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** x86_64.toml with one textual replacement (asserting the original text was there). */
function edited(from: string | RegExp, to: string): string {
  const out = x86Text.replace(from, to);
  expect(out, `edit ${String(from)} must change the profile text`).not.toBe(x86Text);
  return out;
}

describe('profiles/x86_64.toml', () => {
  it('loads and validates with the facts later features rely on', async () => {
    const p = await loadProfile('x86_64', PROFILES);
    expect(p.arch).toBe('x86_64');
    expect(p.oci_arch).toBe('amd64');
    expect(p.qemu.binary).toBe('qemu-system-x86_64');
    expect(p.qemu.console_device).toBe('ttyS0');
    expect(p.qemu.ignition).toBe('fw_cfg');
    expect(p.kernel.args).toContain('console=ttyS0,115200n8');
    expect(p.kernel.live_args).toContain('ignition.firstboot');
    expect(p.firmware.bios?.kind).toBe('seabios');
    expect(p.firmware.uefi?.kind).toBe('ovmf');
    expect(p.firmware.uefi?.vars).toMatch(/^\//);
    expect(p.bootloader.firmwares).toEqual(['bios', 'uefi']);
    expect(p.bootloader.packages.length).toBeGreaterThan(0);
    expect(p.disk.sector_sizes).toEqual([512, 4096]);
    // exactly one partition takes the rest of the disk and it is the root
    const rest = p.disk.partitions.filter((x) => x.size_mib === 0);
    expect(rest).toHaveLength(1);
    expect(rest[0]?.mountpoint).toBe('/');
    expect(p.disk.partitions.map((x) => x.name)).toEqual(['BIOS-BOOT', 'EFI-SYSTEM', 'boot', 'root']);
    expect(p.live.ignition_area_size % 512).toBe(0);
  });

  it('loads through an alias (amd64)', async () => {
    const p = await loadProfile('amd64', PROFILES);
    expect(p.arch).toBe('x86_64');
  });

  it('parseProfile and the schema agree', () => {
    const p = parseProfile(x86Text, 'x86_64.toml');
    expect(ProfileSchema.safeParse(p).success).toBe(true);
  });
});

describe('every profile in profiles/', () => {
  it('validates, is named after its arch and is a known arch', async () => {
    const files = (await readdir(PROFILES)).filter((f) => f.endsWith('.toml'));
    expect(files.length).toBeGreaterThanOrEqual(1);
    for (const f of files) {
      const arch = f.replace(/\.toml$/, '');
      expect(ARCHES as readonly string[], `${f} names a known arch`).toContain(arch);
      const p = await loadProfile(arch, PROFILES);
      expect(p.arch).toBe(arch);
      for (const fw of p.bootloader.firmwares) expect(p.firmware[fw], `${f}: firmware.${fw}`).toBeDefined();
    }
  });
});

describe('broken profiles are rejected with the offending path named', () => {
  it('bad partition GUID', () => {
    const text = edited('type = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"', 'type = "C12A7328-F81F-11D2-BA4B-NOTAGUID"');
    const e = thrown(() => parseProfile(text, 'bad-guid.toml'));
    expect(e.message).toContain('bad-guid.toml');
    expect(e.message).toContain('disk.partitions.1.type');
    expect(e.message).toContain('must be a GUID');
    expect(e.fix).toBeTruthy();
  });

  it('two rest-of-disk partitions', () => {
    const text = edited(/size_mib = 384/, 'size_mib = 0');
    const e = thrown(() => parseProfile(text, 'two-rest.toml'));
    expect(e.message).toContain('two-rest.toml');
    expect(e.message).toMatch(/disk\.partitions/);
    expect(e.message).toContain('only one partition may take the rest of the disk');
  });

  it('missing firmware for a listed bootloader firmware', () => {
    const text = edited(/\[firmware\.uefi\]\nkind = "ovmf"\ncode = .*\nvars = .*\n/, '');
    const e = thrown(() => parseProfile(text, 'no-uefi.toml'));
    expect(e.message).toContain('no-uefi.toml');
    expect(e.message).toMatch(/firmware/);
    expect(e.message).toContain('firmware.uefi: bootloader.firmwares lists "uefi" but there is no [firmware.uefi] table');
  });

  it('TOML syntax error', () => {
    const text = edited('memory_mib = 2048', 'memory_mib = = 2048');
    const e = thrown(() => parseProfile(text, 'syntax.toml'));
    expect(e.message).toContain('syntax.toml');
    expect(e.message).toContain('not valid TOML');
    // @iarna/toml reports the position
    const row = text.split('\n').findIndex((l) => l.startsWith('memory_mib = =')) + 1;
    expect(e.message).toMatch(new RegExp(`row ${row}, col \\d+`));
    expect(e.message).toContain('memory_mib = = 2048');
  });

  it('unknown key', () => {
    const text = edited('smp = 2', 'smp = 2\nsmpp = 4');
    const e = thrown(() => parseProfile(text, 'unknown-key.toml'));
    expect(e.message).toContain('unknown-key.toml');
    expect(e.message).toContain('qemu');
    expect(e.message).toContain('smpp');
  });

  it('unknown top-level table', () => {
    const e = thrown(() => parseProfile(`${x86Text}\n[extra]\nx = 1\n`, 'extra.toml'));
    expect(e.message).toContain('extra');
  });

  it('wrong type names the field', () => {
    const text = edited('memory_mib = 2048', 'memory_mib = "2048"');
    const e = thrown(() => parseProfile(text, 'type.toml'));
    expect(e.message).toContain('qemu.memory_mib');
  });

  it('a sector size other than 512 and 4096', () => {
    const text = edited('sector_sizes = [512, 4096]', 'sector_sizes = [512, 1024]');
    const e = thrown(() => parseProfile(text, 'ss.toml'));
    expect(e.message).toContain('disk.sector_sizes.1');
  });

  it('no partition mounted at /', () => {
    const text = edited('mountpoint = "/"\n', '');
    const e = thrown(() => parseProfile(text, 'noroot.toml'));
    expect(e.message).toContain('one partition must be mounted at /');
  });

  it('loadProfile names the file, and rejects a file whose arch differs from its name', async () => {
    await writeFile(join(work, 'x86_64.toml'), edited('smp = 2', 'smp = 0'));
    await expect(loadProfile('x86_64', work)).rejects.toThrow(/x86_64\.toml is invalid:[\s\S]*qemu\.smp/);
    await writeFile(join(work, 'aarch64.toml'), x86Text);
    await expect(loadProfile('aarch64', work)).rejects.toThrow(/declares arch "x86_64", expected "aarch64"/);
  });

  it('a missing profile file says which file it looked for', async () => {
    const e = await loadProfile('s390x', work).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Day0Error).message).toContain(join(work, 's390x.toml'));
    expect((e as Day0Error).fix).toContain('profiles/s390x.toml');
  });
});

describe('normalizeArch', () => {
  it.each([
    ['x86_64', 'x86_64'],
    ['amd64', 'x86_64'],
    ['aarch64', 'aarch64'],
    ['arm64', 'aarch64'],
    ['ppc64le', 'ppc64le'],
    ['ppc64el', 'ppc64le'],
    ['s390x', 's390x'],
  ])('%s → %s', (input, want) => {
    expect(normalizeArch(input)).toBe(want);
  });

  it('an unknown arch error lists the known ones', () => {
    const e = thrown(() => normalizeArch('riscv64'));
    expect(e.message).toContain('riscv64');
    for (const a of ARCHES) expect(e.fix).toContain(a);
  });

  it('is case-sensitive about unknown spellings (no silent guessing)', () => {
    expect(() => normalizeArch('X86_64')).toThrow(Day0Error);
    expect(() => normalizeArch('')).toThrow(Day0Error);
  });
});
