import { describe, expect, it } from 'vitest';
import {
  compress,
  crc32,
  decompress,
  detectCompression,
  gunzipMember,
  xzCheckType,
  xzStreamEnd,
  zstdFrameEnd,
} from '../../../src/formats/compress.js';
import { gzipSync } from 'node:zlib';

// Made with: printf hello | xz --check=crc32 / --check=crc64; printf hello | zstd --check / --no-check.
const XZ_CRC32 = Buffer.from('fd377a585a0000016922de360200210116000000742fe5a301000468656c6c6f0000000086a6103600011905bce8eccb9042990d010000000001595a', 'hex');
const XZ_CRC64 = Buffer.from('fd377a585a000004e6d6b4460200210116000000742fe5a301000468656c6c6f00000000b137b9dbe5da1e9b00011d05b82d80af1fb6f37d010000000004595a', 'hex');
const ZSTD_CHECK = Buffer.from('28b52ffd045829000068656c6c6fa36d9f88', 'hex');
const ZSTD_NOCHECK = Buffer.from('28b52ffd005829000068656c6c6f', 'hex');

describe('detectCompression', () => {
  it('recognises gzip, xz and zstd by magic, anything else is plain', () => {
    expect(detectCompression(gzipSync('x'))).toBe('gzip');
    expect(detectCompression(XZ_CRC32)).toBe('xz');
    expect(detectCompression(ZSTD_CHECK)).toBe('zstd');
    expect(detectCompression(Buffer.from('070701'))).toBe('plain');
    expect(detectCompression(Buffer.alloc(0))).toBe('plain');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a]))).toBe('plain'); // truncated magic
    expect(detectCompression(Buffer.concat([Buffer.alloc(4), XZ_CRC32]), 4)).toBe('xz');
  });
});

describe('crc32', () => {
  it('is the IEEE CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});

describe('gzip', () => {
  it('round-trips and finds the end of a member followed by other data', async () => {
    const data = Buffer.from('some data '.repeat(100));
    const gz = await compress(data, 'gzip');
    expect(await decompress(gz, 'gzip')).toEqual(data);
    const followed = Buffer.concat([gz, Buffer.from('070701 and more')]);
    const member = gunzipMember(followed);
    expect(member.end).toBe(gz.length);
    expect(member.data).toEqual(data);
  });

  it('decompresses concatenated members and stops at zero padding', async () => {
    const two = Buffer.concat([gzipSync('ab'), gzipSync('cd'), Buffer.alloc(8)]);
    expect((await decompress(two, 'gzip')).toString()).toBe('abcd');
  });

  it('handles the optional header fields (FNAME)', () => {
    const gz = gzipSync('named');
    // Rebuild with FNAME set: header (flags |= 8) + "file\0" + deflate body + trailer.
    const named = Buffer.concat([gz.subarray(0, 3), Buffer.from([gz[3]! | 8]), gz.subarray(4, 10), Buffer.from('file\0'), gz.subarray(10)]);
    expect(gunzipMember(named).data.toString()).toBe('named');
  });

  it('reports corruption and truncation', () => {
    const gz = gzipSync('data data data');
    expect(() => gunzipMember(gz.subarray(0, gz.length - 3))).toThrow(/corrupt gzip/);
    const bad = Buffer.from(gz);
    bad[bad.length - 5]! ^= 0xff; // CRC
    expect(() => gunzipMember(bad)).toThrow(/CRC or length mismatch/);
  });
});

describe('xz stream boundaries', () => {
  it('finds the end of an xz stream from its footer', () => {
    expect(xzStreamEnd(XZ_CRC32)).toBe(XZ_CRC32.length);
    const padded = Buffer.concat([Buffer.alloc(8), XZ_CRC32, Buffer.alloc(4), XZ_CRC64]);
    expect(xzStreamEnd(padded, 8)).toBe(8 + XZ_CRC32.length);
    expect(xzStreamEnd(padded, 8 + XZ_CRC32.length + 4)).toBe(padded.length);
  });

  it('reads the check type from the stream footer flags', () => {
    expect(XZ_CRC32[XZ_CRC32.length - 3]).toBe(0x01);
    expect(xzCheckType(XZ_CRC32)).toBe('crc32');
    expect(xzCheckType(XZ_CRC64)).toBe('crc64');
  });

  it('reports a truncated stream', () => {
    expect(() => xzStreamEnd(XZ_CRC32.subarray(0, XZ_CRC32.length - 2))).toThrow(/no stream footer/);
    const bad = Buffer.from(XZ_CRC32);
    bad[8]! ^= 1;
    expect(() => xzStreamEnd(bad)).toThrow(/header CRC/);
  });
});

describe('zstd frame boundaries', () => {
  it('walks the blocks to the end of the frame, with and without checksum', () => {
    expect(zstdFrameEnd(ZSTD_CHECK)).toBe(ZSTD_CHECK.length);
    expect(zstdFrameEnd(ZSTD_NOCHECK)).toBe(ZSTD_NOCHECK.length);
    const both = Buffer.concat([ZSTD_NOCHECK, ZSTD_CHECK]);
    expect(zstdFrameEnd(both)).toBe(ZSTD_NOCHECK.length);
    expect(zstdFrameEnd(both, ZSTD_NOCHECK.length)).toBe(both.length);
  });

  it('reports a truncated frame', () => {
    expect(() => zstdFrameEnd(ZSTD_CHECK.subarray(0, 10))).toThrow(/truncated frame/);
  });
});

describe('missing programs', () => {
  it('names the program and how to install it', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(compress(Buffer.from('x'), 'xz')).rejects.toMatchObject({
        message: 'required tool not found: xz',
        fix: expect.stringMatching(/apt-get install xz-utils/),
      });
      await expect(decompress(ZSTD_CHECK, 'zstd')).rejects.toMatchObject({
        message: 'required tool not found: zstd',
        fix: expect.stringMatching(/apt-get install zstd/),
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
