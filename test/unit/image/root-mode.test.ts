// Issue 14 item 9: the root directory's mode follows containers-storage (0555 unless a layer sets it).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { isRootEntry, layersSetRoot, tarEntryName } from '../../../src/image/root-mode.js';

/** One ustar header block for `name` (the rest of a tar is irrelevant here). */
function header(name: string, prefix = ''): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 'utf8');
  b.write('ustar', 257, 'latin1');
  if (prefix) b.write(prefix, 345, 'utf8');
  return Buffer.concat([b, Buffer.alloc(1024)]);
}

describe('root mode', () => {
  test('tar entry names and root entries', () => {
    expect(tarEntryName(header('./'))).toBe('./');
    expect(tarEntryName(header('bin', 'usr'))).toBe('usr/bin');
    expect(tarEntryName(Buffer.alloc(512))).toBeUndefined();
    for (const n of ['./', '.', '/', '']) expect(isRootEntry(n)).toBe(true);
    for (const n of ['./dev', 'etc', 'etc/']) expect(isRootEntry(n)).toBe(false);
  });

  test('layers whose first entries are not the root leave it to containers-storage (0555); one "./" sets it', async () => {
    const d = await mkdtemp(join(tmpdir(), 'day0-rootmode-'));
    try {
      await mkdir(join(d, 'blobs', 'sha256'), { recursive: true });
      const put = async (hex: string, data: Buffer) => { await writeFile(join(d, 'blobs', 'sha256', hex), data); return { digest: `sha256:${hex}`, size: data.length, mediaType: '' }; };
      const dev = await put('1'.repeat(64), gzipSync(header('./dev')));
      const etc = await put('2'.repeat(64), header('etc/'));
      const root = await put('3'.repeat(64), gzipSync(header('./')));
      expect(await layersSetRoot(d, [dev, etc])).toBe(false);
      expect(await layersSetRoot(d, [dev, root])).toBe(true);
      // Unreadable: day0 cannot tell, so it leaves umoci's result (counts as set).
      expect(await layersSetRoot(d, [{ digest: `sha256:${'4'.repeat(64)}`, size: 1, mediaType: '' }])).toBe(true);
    } finally {
      await rm(d, { recursive: true });
    }
  });
});
