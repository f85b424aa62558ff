// Streaming decompression (gzip in-process; xz and zstd through their programs, via execa's duplex), for data of
// any size: memory use is bounded by the stream buffers. Apart from compress.ts so that quick commands that only
// decompress a small buffer do not load execa.
import type { Duplex } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import { requireTool, type Compression } from './compress.js';

/** A streaming decompressor: write compressed bytes in, read decompressed bytes out. */
export function decompressStream(kind: Compression): Duplex {
  if (kind === 'gzip') return createGunzip();
  const args = kind === 'xz' ? ['--decompress', '--stdout'] : ['--decompress', '--stdout', '--quiet'];
  return execa(requireTool(kind), args, { encoding: 'buffer', buffer: false }).duplex();
}
