import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCpio, writeCpio } from '../../../src/formats/cpio.js';
import { decompress } from '../../../src/formats/compress.js';
import {
  checkIgnitionConfig,
  packIgnitionInitrd,
  packInitrd,
  unpackIgnitionInitrd,
  unpackInitrd,
} from '../../../src/formats/ignition-initrd.js';

const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","passwordHash":"SECRET"}]}}\n');

describe('packIgnitionInitrd', () => {
  it('writes config.ign mode 0100600 in a gzip newc archive', async () => {
    const initrd = await packIgnitionInitrd(CONFIG, { compression: 'gzip' });
    expect(initrd.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const { members } = readCpio(await decompress(initrd, 'gzip'));
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ path: 'config.ign', mode: 0o100600, nlink: 1, ino: 0, uid: 0, gid: 0, mtime: 0 });
    expect(members[0]!.data).toEqual(CONFIG);
  });

  it('is reproducible', async () => {
    expect(await packIgnitionInitrd(CONFIG, { compression: 'gzip' })).toEqual(await packIgnitionInitrd(CONFIG, { compression: 'gzip' }));
  });
});

describe('unpackIgnitionInitrd', () => {
  it('round-trips gzip', async () => {
    expect(await unpackIgnitionInitrd(await packIgnitionInitrd(CONFIG, { compression: 'gzip' }))).toEqual(CONFIG);
  });

  it('reads a plain cpio archive', async () => {
    const plain = writeCpio([{ type: 'file', path: 'config.ign', mode: 0o600, data: CONFIG }]);
    expect(await unpackIgnitionInitrd(plain)).toEqual(CONFIG);
  });

  it('reads concatenated segments with zero padding, the later file winning', async () => {
    const early = writeCpio([
      { type: 'file', path: 'kernel/x86/microcode/GenuineIntel.bin', data: Buffer.from('ucode') },
      { type: 'file', path: 'config.ign', mode: 0o600, data: Buffer.from('old') },
    ]);
    const later = await packIgnitionInitrd(CONFIG, { compression: 'gzip' });
    const other = gzipSync(writeCpio([{ type: 'file', path: 'etc/motd', data: Buffer.from('hi') }]));
    const initrd = Buffer.concat([Buffer.alloc(4), early, Buffer.alloc(512), later, Buffer.alloc(3), other, Buffer.alloc(2048)]);
    const files = await unpackInitrd(initrd);
    expect([...files.keys()].sort()).toEqual(['config.ign', 'etc/motd', 'kernel/x86/microcode/GenuineIntel.bin']);
    expect(await unpackIgnitionInitrd(initrd)).toEqual(CONFIG);
  });

  it('reads several cpio archives inside one compressed segment', async () => {
    const inner = Buffer.concat([
      writeCpio([{ type: 'file', path: 'a', data: Buffer.from('a') }]),
      Buffer.alloc(4),
      writeCpio([{ type: 'file', path: 'config.ign', data: CONFIG }]),
    ]);
    expect(await unpackIgnitionInitrd(gzipSync(inner))).toEqual(CONFIG);
  });

  it('packInitrd keeps several files with their modes', async () => {
    const initrd = await packInitrd(
      [
        { path: 'config.ign', data: CONFIG, mode: 0o600 },
        { path: 'etc/coreos-firstboot-network/eth0.nmconnection', data: Buffer.from('[connection]\n'), mode: 0o600 },
      ],
      { compression: 'gzip' },
    );
    const files = await unpackInitrd(initrd);
    expect(files.get('etc/coreos-firstboot-network/eth0.nmconnection')?.toString()).toBe('[connection]\n');
  });

  it('errors when there is no config.ign, or on unrecognized data, without echoing content', async () => {
    const noConfig = writeCpio([{ type: 'file', path: 'etc/motd', data: Buffer.from('SECRET') }]);
    await expect(unpackIgnitionInitrd(noConfig)).rejects.toThrow(/no Ignition config \(config\.ign\)/);
    await expect(unpackIgnitionInitrd(Buffer.from('{"ignition": "SECRET"}'))).rejects.toThrow(/neither a cpio archive/);
    await expect(unpackIgnitionInitrd(Buffer.from('{"ignition": "SECRET"}'))).rejects.not.toThrow(/SECRET/);
    await expect(unpackIgnitionInitrd(Buffer.alloc(64))).rejects.toThrow(/no Ignition config/);
  });

  it('errors on garbage after a valid archive', async () => {
    const plain = writeCpio([{ type: 'file', path: 'config.ign', data: CONFIG }]);
    await expect(unpackInitrd(Buffer.concat([plain, Buffer.from('junk')]))).rejects.toThrow(/offset \d+/);
  });
});

describe('checkIgnitionConfig', () => {
  it('accepts Ignition 3.x JSON', () => {
    expect(() => checkIgnitionConfig(CONFIG, 'c.ign')).not.toThrow();
    expect(() => checkIgnitionConfig(Buffer.from('{"ignition":{"version":"3.7.0-experimental"}}'), 'c.ign')).not.toThrow();
  });

  it('refuses other data, naming the file but never quoting it', () => {
    const check = (text: string) => () => checkIgnitionConfig(Buffer.from(text), 'c.ign');
    expect(check('variant: fcos\npassword: SECRET')).toThrow(/^c\.ign is not valid JSON/);
    expect(check('variant: fcos\npassword: SECRET')).not.toThrow(/SECRET/);
    expect(check('["SECRET"]')).toThrow(/no ignition\.version/);
    expect(check('{"ignition":{"version":"2.3.0"}}')).toThrow(/spec 2\.3\.0; only spec 3\.x/);
    expect(check('{"ignition":{"version":"SECRET"}}')).toThrow(/an unrecognized spec version/);
    expect(check('{"ignition":{"version":"SECRET"}}')).not.toThrow(/SECRET/);
  });
});
