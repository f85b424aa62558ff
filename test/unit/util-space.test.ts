// Issue 14 item 16: free space is named before a step writes, from estimates of what it writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ensureSpace, freeBytes, isNoSpace, noSpaceError, outputEstimate, unpackedEstimate } from '../../src/util/space.js';

const MiB = 2 ** 20;

describe('free space', () => {
  test('freeBytes of a path that does not exist yet is its nearest existing ancestor\'s', async () => {
    const d = await mkdtemp(join(tmpdir(), 'day0-space-'));
    try {
      const here = await freeBytes(d);
      expect(here).toBeGreaterThan(0);
      expect(Math.abs((await freeBytes(join(d, 'a', 'b', 'c'))) - here)).toBeLessThan(64 * MiB);
    } finally {
      await rm(d, { recursive: true });
    }
  });

  test('ensureSpace refuses with free and needed figures and the fix; passes when there is room', async () => {
    const free = await freeBytes(tmpdir());
    await expect(ensureSpace(tmpdir(), free * 4 + 1e12, 'unpacking x', 'free space')).rejects.toThrow(/^not enough free space for unpacking x: .* free on the filesystem of .*, about .* needed$/);
    await expect(ensureSpace(tmpdir(), 1, 'x', 'y')).resolves.toBeUndefined();
    const e = await noSpaceError(tmpdir(), 'unpacking x', 'free space');
    expect(e.message).toMatch(/^no space left on the filesystem of .* while unpacking x \(.* free now\)$/);
  });

  test('tool messages that mean a full disk', () => {
    expect(isNoSpace('write /x: no space left on device')).toBe(true);
    expect(isNoSpace('ENOSPC')).toBe(true);
    expect(isNoSpace('Disk quota exceeded')).toBe(true);
    expect(isNoSpace('layer digest mismatch')).toBe(false);
  });

  test('estimates grow with the formats and the image', () => {
    const L = 200 * MiB;
    expect(unpackedEstimate(L)).toBeGreaterThan(3 * L);
    const iso = outputEstimate(['iso'], L);
    expect(iso).toBeGreaterThan(L);
    expect(outputEstimate(['iso', 'pxe'], L)).toBe(2 * iso);
    expect(outputEstimate(['iso', 'iso'], L)).toBe(iso);
    expect(outputEstimate(['metal'], L)).toBe(unpackedEstimate(L));
    expect(outputEstimate(['qemu'], L)).toBe(2 * unpackedEstimate(L));
    expect(outputEstimate(['iso', 'pxe', 'metal', 'metal4k', 'qemu', 'vmware', 'azure'], 2 * L)).toBeGreaterThan(outputEstimate(['iso', 'pxe', 'metal', 'metal4k', 'qemu', 'vmware', 'azure'], L));
  });
});
