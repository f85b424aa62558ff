import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changedExtents, writeExtentFiles } from '../../../src/util/extents.js';

const dir = mkdtempSync(join(tmpdir(), 'day0-extents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pair(size: number, edits: [number, number][]): [string, string] {
  const a = Buffer.alloc(size, 7);
  const b = Buffer.from(a);
  for (const [at, len] of edits) b.fill(9, at, at + len);
  const k = Math.random().toString(36).slice(2);
  const [pa, pb] = [join(dir, `${k}.a`), join(dir, `${k}.b`)];
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  return [pa, pb];
}

describe('changedExtents', () => {
  it('finds nothing in equal files', async () => {
    const [a, b] = pair(3 << 20, []);
    expect(await changedExtents(a, b, 65536)).toEqual([]);
  });

  it('reports whole blocks, merges neighbours, and keeps apart ones apart (also across 1 MiB reads)', async () => {
    const M = 1 << 20;
    const [a, b] = pair(3 * M, [[10, 1], [65536 + 5, 2], [M - 1, 2], [2 * M + 70000, 1]]);
    expect(await changedExtents(a, b, 65536)).toEqual([
      { offset: 0, length: 2 * 65536 },
      { offset: M - 65536, length: 2 * 65536 },
      { offset: 2 * M + 65536, length: 65536 },
    ]);
  });

  it('gives a short last block at the end of a file that is not a whole number of blocks', async () => {
    const [a, b] = pair(65536 + 100, [[65536 + 99, 1]]);
    expect(await changedExtents(a, b, 65536)).toEqual([{ offset: 65536, length: 100 }]);
  });

  it('splits long runs at maxLength', async () => {
    const [a, b] = pair(1 << 20, [[0, 1 << 20]]);
    const ex = await changedExtents(a, b, 65536, 4 * 65536);
    expect(ex).toHaveLength(4);
    expect(ex.every((e) => e.length === 4 * 65536)).toBe(true);
  });

  it('refuses files of different sizes and block sizes that do not divide its read size', async () => {
    const [a] = pair(4096, []);
    const [, c] = pair(8192, []);
    await expect(changedExtents(a, c, 512)).rejects.toThrow(/different sizes \(4096 and 8192 bytes\)/);
    await expect(changedExtents(a, a, 3000)).rejects.toThrow(/block size 3000/);
  });

  it('writes each extent\'s bytes to its own file, named relative to the directory', async () => {
    const [a, b] = pair(200000, [[70000, 3], [196700, 1]]);
    const ex = await changedExtents(a, b, 65536);
    const names = await writeExtentFiles(b, ex, join(dir, 'out'));
    expect(names).toEqual(['extent-0.bin', 'extent-1.bin']);
    const whole = readFileSync(b);
    for (const [k, e] of ex.entries()) expect(readFileSync(join(dir, 'out', names[k]!)).equals(whole.subarray(e.offset, e.offset + e.length))).toBe(true);
  });
});
