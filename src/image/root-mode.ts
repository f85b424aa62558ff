// The mode of an image's root directory. Layers rarely carry an entry for the root itself ("./"); when none does,
// containers-storage (podman, and so osbuild's container-deploy, which copies a podman mount with `cp -a`) gives
// the root 0555, while umoci leaves the 0755 of the directory it created. day0 follows containers-storage, so
// both engines and podman agree on the tree they see. A layer's root entry, when present, is its first entry.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { detectCompression } from '../formats/compress.js';
import { decompressStream } from '../formats/compress-stream.js';
import type { LayerInfo } from './types.js';

/** Root mode containers-storage gives a tree whose layers never set it. */
export const STORAGE_ROOT_MODE = 0o555;

/** The first entry's name in a tar header block (ustar: name at 0, prefix at 345), or undefined when not a header. */
export function tarEntryName(block: Buffer): string | undefined {
  if (block.length < 512 || block.subarray(0, 512).every((b) => b === 0)) return undefined;
  const str = (a: number, n: number) => {
    const s = block.subarray(a, a + n);
    const z = s.indexOf(0);
    return s.subarray(0, z < 0 ? n : z).toString('utf8');
  };
  const name = str(0, 100);
  const prefix = block.subarray(257, 262).toString('latin1') === 'ustar' ? str(345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** Does this entry name the root directory itself? */
export function isRootEntry(name: string): boolean {
  return ['', '.', './', '/'].includes(name.replace(/\/+$/, '/'));
}

/** The first 512 bytes of a layer blob, decompressed (gzip, zstd or plain); undefined when it cannot be read. */
async function firstBlock(file: string): Promise<Buffer | undefined> {
  const head = await new Promise<Buffer>((res, rej) => {
    const chunks: Buffer[] = [];
    const s = createReadStream(file, { start: 0, end: 7 });
    s.on('data', (c) => chunks.push(c as Buffer)).on('end', () => res(Buffer.concat(chunks))).on('error', rej);
  });
  const kind = detectCompression(head);
  if (kind === 'xz') return undefined;
  return new Promise<Buffer | undefined>((res) => {
    const src = createReadStream(file);
    const out = kind === 'plain' ? src : src.pipe(decompressStream(kind));
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (b: Buffer | undefined) => {
      if (done) return;
      done = true;
      src.destroy();
      if (out !== src) out.destroy();
      res(b);
    };
    out.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 512) finish(got.subarray(0, 512));
    });
    out.on('end', () => finish(got.length >= 512 ? got.subarray(0, 512) : undefined));
    out.on('error', () => finish(undefined));
    src.on('error', () => finish(undefined));
  });
}

/**
 * Whether any layer sets the root directory's mode (its first entry is "./"). Unreadable or xz layers count as
 * setting it, so day0 leaves umoci's result alone when it cannot tell.
 */
export async function layersSetRoot(layoutDir: string, layers: readonly LayerInfo[]): Promise<boolean> {
  for (const l of layers) {
    const [algo, hex] = l.digest.split(':') as [string, string];
    const block = await firstBlock(join(layoutDir, 'blobs', algo, hex)).catch(() => undefined);
    if (!block) return true;
    const name = tarEntryName(block);
    if (name === undefined || isRootEntry(name)) return true;
  }
  return false;
}
