import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  CPIO_HEADER_SIZE,
  cpioHeader,
  normalizeCpioPath,
  readCpio,
  withParentDirs,
  writeCpio,
  writeCpioStream,
  type CpioEntry,
} from '../../../src/formats/cpio.js';

/** The 13 header fields of the member at `at`, by name. */
function fields(buf: Buffer, at = 0): Record<string, number> {
  const names = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize', 'devmajor', 'devminor', 'rdevmajor', 'rdevminor', 'namesize', 'check'];
  return Object.fromEntries(names.map((n, i) => [n, Number.parseInt(buf.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16)]));
}

async function collect(entries: CpioEntry[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeCpioStream(entries, out);
  return Buffer.concat(chunks);
}

describe('newc cpio writer', () => {
  it('lays out one file byte by byte: header, name, padding, data, padding, trailer', () => {
    const buf = writeCpio([{ type: 'file', path: 'config.ign', mode: 0o600, data: Buffer.from('abc') }]);
    expect(buf.toString('ascii', 0, 6)).toBe('070701');
    expect(fields(buf)).toEqual({
      ino: 0, mode: 0o100600, uid: 0, gid: 0, nlink: 1, mtime: 0, filesize: 3,
      devmajor: 0, devminor: 0, rdevmajor: 0, rdevminor: 0, namesize: 11, check: 0,
    });
    // Hex digits are upper case, 8 per field: the mode field is "000081 80".
    expect(buf.toString('ascii', 14, 22)).toBe('00008180');
    // 110-byte header + "config.ign\0" (11) = 121 → padded to 124; data "abc" → padded to 128.
    expect(buf.toString('latin1', 110, 124)).toBe('config.ign\0\0\0\0');
    expect(buf.toString('latin1', 124, 128)).toBe('abc\0');
    expect(buf.toString('ascii', 128, 134)).toBe('070701');
    expect(fields(buf, 128)).toMatchObject({ mode: 0, nlink: 1, filesize: 0, namesize: 11 });
    expect(buf.toString('latin1', 128 + 110, 128 + 121)).toBe('TRAILER!!!\0');
    expect(buf.length).toBe(128 + 124);
    expect(buf.length % 4).toBe(0);
  });

  it('adds parent directories as 040755 before their children, once', () => {
    const buf = writeCpio([
      { type: 'file', path: '/etc/coreos/a.yaml', mode: 0o600, data: Buffer.from('a') },
      { type: 'file', path: 'etc/coreos/b.yaml', data: Buffer.from('bb') },
    ]);
    const { members } = readCpio(buf);
    expect(members.map((m) => [m.path, m.mode.toString(8)])).toEqual([
      ['etc', '40755'],
      ['etc/coreos', '40755'],
      ['etc/coreos/a.yaml', '100600'],
      ['etc/coreos/b.yaml', '100644'],
    ]);
    expect(members.every((m) => m.ino === 0 && m.uid === 0 && m.gid === 0 && m.mtime === 0 && m.nlink === 1)).toBe(true);
  });

  it('pads every member to 4 bytes whatever the name and data lengths', () => {
    for (let n = 1; n <= 8; n++) {
      for (let size = 0; size <= 5; size++) {
        const buf = writeCpio([{ type: 'file', path: 'x'.repeat(n), data: Buffer.alloc(size, 7) }]);
        const nameEnd = CPIO_HEADER_SIZE + n + 1;
        const dataStart = Math.ceil(nameEnd / 4) * 4;
        expect(buf.subarray(nameEnd, dataStart).every((b) => b === 0)).toBe(true);
        const trailerAt = dataStart + Math.ceil(size / 4) * 4;
        expect(buf.toString('ascii', trailerAt, trailerAt + 6)).toBe('070701');
        expect(readCpio(buf).members[0]!.data).toEqual(Buffer.alloc(size, 7));
      }
    }
  });

  it('refuses duplicate paths and ".." components', () => {
    expect(() => writeCpio([
      { type: 'file', path: 'a', data: Buffer.from('1') },
      { type: 'file', path: '/a', data: Buffer.from('2') },
    ])).toThrow(/duplicate path/);
    expect(() => normalizeCpioPath('../etc/passwd')).toThrow(/invalid path/);
    expect(() => normalizeCpioPath('/')).toThrow(/invalid path/);
    expect(withParentDirs([{ type: 'dir', path: 'a' }, { type: 'file', path: 'a/b', data: Buffer.alloc(0) }]).length).toBe(2);
  });
});

describe('streaming cpio writer', () => {
  it('streams a large member from its source and matches the in-memory writer', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const chunks = function* (): Generator<Buffer> {
      for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536);
    };
    const streamed = await collect([
      { type: 'file', path: 'root.squashfs', mode: 0o644, size: big.length, source: () => Readable.from(chunks()) },
      { type: 'file', path: 'etc/x', data: Buffer.from('x') },
    ]);
    const inMemory = writeCpio([
      { type: 'file', path: 'root.squashfs', mode: 0o644, data: big },
      { type: 'file', path: 'etc/x', data: Buffer.from('x') },
    ]);
    expect(streamed.equals(inMemory)).toBe(true);
    // The first member is root.squashfs (the PXE rootfs.img layout).
    expect(readCpio(streamed).members[0]!.path).toBe('root.squashfs');
  });

  it('refuses a source that is shorter or longer than announced', async () => {
    const source = (n: number) => () => Readable.from([Buffer.alloc(n)]);
    await expect(collect([{ type: 'file', path: 'a', size: 10, source: source(9) }])).rejects.toThrow(/fewer bytes/);
    await expect(collect([{ type: 'file', path: 'a', size: 10, source: source(11) }])).rejects.toThrow(/more bytes/);
  });

  it('writeCpio refuses streamed members', () => {
    expect(() => writeCpio([{ type: 'file', path: 'a', size: 1, source: () => Readable.from([]) }])).toThrow(/is a stream/);
  });

  it('leaves the output open with end: false', async () => {
    const out = new PassThrough();
    await writeCpioStream([], out, { end: false });
    expect(out.writableEnded).toBe(false);
    expect((out.read() as Buffer).toString('latin1', 110, 120)).toBe('TRAILER!!!');
  });
});

describe('newc cpio reader', () => {
  it('returns members and the offset past the trailer', () => {
    const a = writeCpio([{ type: 'file', path: 'a', data: Buffer.from('hello') }]);
    const b = writeCpio([{ type: 'file', path: 'b', data: Buffer.from('x') }]);
    const both = Buffer.concat([a, Buffer.alloc(8), b]);
    const first = readCpio(both);
    expect(first.end).toBe(a.length);
    expect(first.members.map((m) => m.data.toString())).toEqual(['hello']);
    expect(readCpio(both, a.length + 8).members[0]!.path).toBe('b');
  });

  it('reports truncation and corruption', () => {
    const a = writeCpio([{ type: 'file', path: 'a', data: Buffer.from('hello') }]);
    expect(() => readCpio(a.subarray(0, a.length - 20))).toThrow(/truncated cpio archive/);
    expect(() => readCpio(Buffer.from('070707' + '0'.repeat(200)))).toThrow(/no newc header/);
    const bad = Buffer.from(a);
    bad.write('ZZ', 20, 'ascii');
    expect(() => readCpio(bad)).toThrow(/bad mode field/);
  });

  it('cpioHeader refuses members of 4 GiB or more', () => {
    expect(() => cpioHeader('big', 0o100644, 2 ** 32)).toThrow(/too large/);
  });
});
