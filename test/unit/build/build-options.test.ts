import { describe, expect, it } from 'vitest';
import { checkFormats, defaultName, formatsFor, namedFormats, parseFormats, preflight, type BuildOptions } from '../../../src/build/build.js';
import { supportedDiskFormats } from '../../../src/manifest/disk.js';
import { EACH_PROFILE } from '../../helpers/profiles.js';
import { parseSizeMib } from '../../../src/cli/commands/build.js';

describe('build options', () => {
  it('parses format lists, "all", and refuses unknown formats with the list', () => {
    expect(parseFormats('iso,pxe')).toEqual(['iso', 'pxe']);
    expect(parseFormats('all')).toEqual(['pxe', 'iso', 'metal', 'metal4k', 'qemu', 'vmware', 'azure']);
    expect(parseFormats('iso,iso')).toEqual(['iso']);
    expect(() => parseFormats('iso,floppy')).toThrow(/unknown format "floppy"/);
  });

  it('tells formats named one by one from those "all" brought in', () => {
    expect(namedFormats('all')).toEqual([]);
    expect(namedFormats('all,metal4k')).toEqual(['metal4k']);
    expect(namedFormats('iso, pxe')).toEqual(['iso', 'pxe']);
  });

  it.each(EACH_PROFILE)('%s: the disk formats no boot mode boots are left out; naming one for this platform alone is refused', (arch, p) => {
    const all = parseFormats('all');
    const r = formatsFor(p, { formats: all });
    const disks = supportedDiskFormats(p);
    expect(r.formats).toEqual(all.filter((f) => ['pxe', 'iso'].includes(f) || (disks as string[]).includes(f)));
    expect(r.skipped).toEqual(all.filter((f) => !r.formats.includes(f)));
    expect(() => checkFormats([p], { formats: all, namedFormats: [] })).not.toThrow();
    for (const f of r.skipped) {
      expect(() => checkFormats([p], { formats: [f] })).toThrow(new RegExp(`^no ${f} image for ${arch}: no boot mode there boots`));
      expect(() => checkFormats([p], { formats: all, namedFormats: [f] })).toThrow(expect.objectContaining({ fix: expect.stringMatching(/--format all, which leaves it out/) }));
    }
    expect(formatsFor(p, { formats: ['iso', 'metal'] })).toEqual({ formats: ['iso', 'metal'], skipped: [] });
  });

  it('a format named for several platforms is made where it applies and skipped elsewhere, refused only if nowhere', () => {
    const profiles = EACH_PROFILE.map(([, p]) => p);
    for (const f of parseFormats('all')) {
      const somewhere = profiles.some((p) => formatsFor(p, { formats: [f] }).formats.length > 0);
      if (somewhere) expect(() => checkFormats(profiles, { formats: [f] })).not.toThrow();
      else expect(() => checkFormats(profiles, { formats: [f] })).toThrow(/no boot mode there boots/);
    }
  });

  describe('preflight: what fails a build is found before anything is built', () => {
    const base = { ref: 'x', outDir: '/o', ignitionSpecCheck: 'on', tlsVerify: true, rootfsFormat: 'squashfs', liveKargAppend: [], liveKargDelete: [], kargAppend: [], rootFs: 'xfs', engine: 'day0' } as const;
    const opts = (o: Partial<BuildOptions>): BuildOptions => ({ ...base, formats: ['iso'], ...o }) as BuildOptions;
    const profiles = EACH_PROFILE.map(([, p]) => p);

    it.each(EACH_PROFILE)('%s: a disk too small for the layout is refused for any disk format, before the ISO is made', async (_, p) => {
      await expect(preflight([p], opts({ formats: ['iso', 'metal'], diskSizeMib: 1 }), undefined)).rejects.toThrow(/too small for the .* layout/);
      await expect(preflight([p], opts({ formats: ['iso', 'metal'], diskSizeMib: 4096 }), undefined)).resolves.toEqual([]);
    });

    it('--disk-size without a disk format is a warning', async () => {
      expect(await preflight(profiles, opts({ formats: ['iso', 'pxe'], diskSizeMib: 8192 }), undefined)).toEqual([expect.stringMatching(/--disk-size applies to disk formats/)]);
    });

    it('a config that does not fit the ISO Ignition area (xz-compressed) is refused; one that fits passes', async () => {
      const { randomBytes } = await import('node:crypto');
      const big = Buffer.from(JSON.stringify({ ignition: { version: '3.3.0' }, x: randomBytes(300_000).toString('base64') }));
      await expect(preflight(profiles, opts({ formats: ['iso'] }), big)).rejects.toThrow(/too large for the ISO's embed area: \d+ bytes compressed, the area holds 262144/);
      await expect(preflight(profiles, opts({ formats: ['pxe'] }), big)).resolves.toEqual([]); // no ISO, no area
      await expect(preflight(profiles, opts({ formats: ['iso'] }), Buffer.from('{"ignition":{"version":"3.3.0"}}'))).resolves.toEqual([]);
    });
  });

  it('names artifacts after the image repository', () => {
    expect(defaultName('localhost:5000/day0/demo-layered:latest')).toBe('demo-layered');
    expect(defaultName('docker://quay.io/org/my-os@sha256:abcd')).toBe('my-os');
    expect(defaultName('oci-archive:/tmp/os.tar')).toBe('os');
    expect(defaultName('oci:/srv/layout:v1')).toBe('layout');
  });

  it('reads disk sizes', () => {
    expect(parseSizeMib('8G')).toBe(8192);
    expect(parseSizeMib('4096M')).toBe(4096);
    expect(parseSizeMib('4096')).toBe(4096);
    expect(() => parseSizeMib('big')).toThrow(/cannot read size/);
  });
});
