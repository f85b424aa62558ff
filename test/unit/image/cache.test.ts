import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachePaths, ensureCache, listCache, parseSize, pruneCache, type CachePaths } from '../../../src/image/cache.js';

const roots: string[] = [];
afterAll(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));

const hex = (c: string) => c.repeat(64);
const OLD = Date.now() / 1000 - 86400;

/** A fake cache entry: a root filesystem of `mb` MiB, a layout linking `blobs`, metadata used `ageH` hours ago. */
function entry(p: CachePaths, id: string, mb: number, ageH: number, blobs: string[]) {
  const h = hex(id);
  mkdirSync(join(p.rootfs, h, 'usr'), { recursive: true });
  writeFileSync(join(p.rootfs, h, 'usr', 'big'), Buffer.alloc(mb << 20, 1));
  mkdirSync(join(p.images, h, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(p.images, h, 'index.json'), '{}');
  for (const b of blobs) writeFileSync(join(p.images, h, 'blobs', 'sha256', hex(b)), '');
  writeFileSync(join(p.meta, `${h}.json`), JSON.stringify({ digest: `sha256:${h}`, refs: [`r/${id}`] }));
  const t = Date.now() / 1000 - ageH * 3600;
  utimesSync(join(p.meta, `${h}.json`), t, t);
  utimesSync(join(p.images, h), t, t);
  utimesSync(join(p.rootfs, h), t, t);
}

function blob(p: CachePaths, id: string, kb: number) {
  writeFileSync(join(p.blobs, hex(id)), Buffer.alloc(kb << 10, 2));
  utimesSync(join(p.blobs, hex(id)), OLD, OLD);
}

describe('sizes', () => {
  it('parses K/M/G/T (binary) and plain bytes', () => {
    expect(parseSize('20G')).toBe(20 * 1024 ** 3);
    expect(parseSize('1.5M')).toBe(1.5 * 1024 ** 2);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('0')).toBe(0);
    expect(() => parseSize('lots')).toThrow(/invalid size/);
  });
});

describe('cache prune', () => {
  async function fixture() {
    const root = mkdtempSync(join(tmpdir(), 'day0-cache-test-'));
    roots.push(root);
    const p = await ensureCache(cachePaths(root));
    blob(p, 'a', 100); // shared by 1 and 2
    blob(p, 'b', 300); // only 1
    blob(p, 'c', 300); // only 3
    blob(p, 'd', 50); // nobody: orphan
    entry(p, '1', 2, 30, ['a', 'b']); // oldest
    entry(p, '2', 2, 20, ['a']);
    entry(p, '3', 2, 10, ['c']); // newest
    // Layout blobs are hard links in real caches; here empty files name them.
    return p;
  }

  it('lists entries least recently used first', async () => {
    const p = await fixture();
    const s = await listCache(p);
    expect(s.entries.map((e) => e.refs[0])).toEqual(['r/1', 'r/2', 'r/3']);
    expect(s.entries[0]!.rootfsBytes).toBeGreaterThanOrEqual(2 << 20);
  });

  it('removes least recently used entries until under the bound, then orphan blobs', async () => {
    const p = await fixture();
    const before = (await listCache(p)).totalBytes;
    const r = await pruneCache(before - (1 << 20), p);
    expect(r.removed.map((x) => x.refs[0])).toEqual(['r/1']);
    expect(existsSync(join(p.rootfs, hex('1')))).toBe(false);
    expect(existsSync(join(p.images, hex('1')))).toBe(false);
    expect(existsSync(join(p.rootfs, hex('2')))).toBe(true);
    expect(existsSync(join(p.blobs, hex('a')))).toBe(true); // still used by 2
    expect(existsSync(join(p.blobs, hex('b')))).toBe(false);
    expect(existsSync(join(p.blobs, hex('d')))).toBe(false);
    expect(r.after).toBeLessThanOrEqual(before - (1 << 20));
  });

  it('never removes an entry in use by a live process; stale markers do not count', async () => {
    const p = await fixture();
    writeFileSync(join(p.locks, `${hex('1')}.${process.pid}`), ''); // this process: alive
    writeFileSync(join(p.locks, `${hex('2')}.999999999`), ''); // no such process
    const r = await pruneCache(0, p);
    expect(r.skippedInUse).toEqual([`sha256:${hex('1')}`]);
    expect(r.removed.map((x) => x.refs[0]).sort()).toEqual(['r/2', 'r/3']);
    expect(existsSync(join(p.rootfs, hex('1')))).toBe(true);
    expect(existsSync(join(p.blobs, hex('b')))).toBe(true);
    expect(existsSync(join(p.locks, `${hex('2')}.999999999`))).toBe(false);
    rmSync(join(p.locks, `${hex('1')}.${process.pid}`));
  });

  it('cleans work dirs of dead processes, keeps those of live ones', async () => {
    const p = await fixture();
    mkdirSync(join(p.tmp, 'day0-unpack-999999999-abc', 'rootfs'), { recursive: true });
    mkdirSync(join(p.tmp, `day0-unpack-${process.pid}-abc`), { recursive: true });
    await pruneCache(1 << 40, p);
    expect(existsSync(join(p.tmp, 'day0-unpack-999999999-abc'))).toBe(false);
    expect(existsSync(join(p.tmp, `day0-unpack-${process.pid}-abc`))).toBe(true);
  });
});
