import { describe, expect, it } from 'vitest';
import { checkFormats, defaultName, formatsFor, namedFormats, parseFormats } from '../../../src/build/build.js';
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
