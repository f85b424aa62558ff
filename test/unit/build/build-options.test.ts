import { describe, expect, it } from 'vitest';
import { defaultName, parseFormats } from '../../../src/build/build.js';
import { parseSizeMib } from '../../../src/cli/commands/build.js';

describe('build options', () => {
  it('parses format lists, "all", and refuses unknown formats with the list', () => {
    expect(parseFormats('iso,pxe')).toEqual(['iso', 'pxe']);
    expect(parseFormats('all')).toEqual(['pxe', 'iso', 'metal', 'metal4k', 'qemu', 'vmware', 'azure']);
    expect(parseFormats('iso,iso')).toEqual(['iso']);
    expect(() => parseFormats('iso,floppy')).toThrow(/unknown format "floppy"/);
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
