// Where two files of one size differ, block by block, streamed (both are read in 1 MiB steps, never whole): for
// writing back only what an edit changed.
import { open, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Extent {
  offset: number;
  length: number;
}

const STEP = 1 << 20;

/**
 * The byte ranges, in whole `block`s (the last one may be shorter), where `b` differs from `a`; adjacent blocks are
 * merged up to `maxLength` bytes per range. The files must have the same size.
 */
export async function changedExtents(a: string, b: string, block: number, maxLength = 4 * STEP): Promise<Extent[]> {
  if (!(block > 0) || STEP % block !== 0) throw new Error(`block size ${block} must divide ${STEP}`);
  const [fa, fb] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const [sa, sb] = [(await fa.stat()).size, (await fb.stat()).size];
    if (sa !== sb) throw new Error(`cannot compare files of different sizes (${sa} and ${sb} bytes)`);
    const out: Extent[] = [];
    const [ba, bb] = [Buffer.alloc(STEP), Buffer.alloc(STEP)];
    for (let pos = 0; pos < sa; pos += STEP) {
      const n = Math.min(STEP, sa - pos);
      await fa.read(ba, 0, n, pos);
      await fb.read(bb, 0, n, pos);
      for (let o = 0; o < n; o += block) {
        const len = Math.min(block, n - o);
        if (ba.compare(bb, o, o + len, o, o + len) === 0) continue;
        const last = out[out.length - 1];
        if (last && last.offset + last.length === pos + o && last.length + len <= maxLength) last.length += len;
        else out.push({ offset: pos + o, length: len });
      }
    }
    return out;
  } finally {
    await fa.close();
    await fb.close();
  }
}

/** Copy each extent of `file` into its own file in `dir` (created); returns their names (`extent-K.bin`), in order. */
export async function writeExtentFiles(file: string, extents: readonly Extent[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fh = await open(file, 'r');
  try {
    const paths: string[] = [];
    for (const [k, e] of extents.entries()) {
      const buf = Buffer.alloc(e.length);
      const { bytesRead } = await fh.read(buf, 0, e.length, e.offset);
      if (bytesRead !== e.length) throw new Error(`short read at ${e.offset} of ${file}`);
      const name = `extent-${k}.bin`;
      await writeFile(join(dir, name), buf, { mode: 0o600 });
      paths.push(name);
    }
    return paths;
  } finally {
    await fh.close();
  }
}
