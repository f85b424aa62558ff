import { describe, expect, it } from 'vitest';
import { bufferSource, Iso9660, normalizeIsoName, type ByteSource } from '../../../src/formats/iso9660.js';
import { writeIso } from '../../helpers/iso9660-writer.js';

function countingSource(buf: Buffer): ByteSource & { bytesRead: number } {
  const inner = bufferSource(buf);
  const src = {
    size: inner.size,
    bytesRead: 0,
    async read(offset: number, length: number) {
      src.bytesRead += length;
      return inner.read(offset, length);
    },
  };
  return src;
}

const IGNINFO = Buffer.from('{"file": "images/ignition.img"}');

function sample(extra: { multiExtent?: boolean } = {}) {
  return writeIso({
    volumeId: 'FEDORA-COREOS-X86_64',
    files: [
      { path: 'COREOS/IGNINFO.JSO', data: IGNINFO },
      { path: 'IMAGES/IGNITION.IMG', data: Buffer.alloc(8192) },
      { path: 'IMAGES/PXEBOOT/ROOTFS.IMG', data: Buffer.alloc(5000, 1), ...extra },
      { path: 'README.MD', data: Buffer.from('readme') },
    ],
    extraSectors: 1000,
  });
}

describe('normalizeIsoName', () => {
  it('strips the version and a trailing dot and folds case', () => {
    expect(normalizeIsoName('IGNINFO.JSO;1')).toBe('IGNINFO.JSO');
    expect(normalizeIsoName('IMAGES.')).toBe('IMAGES');
    expect(normalizeIsoName('NOEXT.;1')).toBe('NOEXT');
    expect(normalizeIsoName('kargs.jso')).toBe('KARGS.JSO');
  });
});

describe('Iso9660', () => {
  it('reads the primary volume descriptor', async () => {
    const { image } = sample();
    const iso = await Iso9660.open(bufferSource(image));
    expect(iso.volumeId).toBe('FEDORA-COREOS-X86_64');
    expect(iso.volumeBytes).toBe(image.length);
    expect(iso.volumeSpaceSize).toBe(image.length / 2048);
  });

  it('looks files up by level-1 name, case-insensitively, with LBA, offset and size', async () => {
    const { image, files } = sample();
    const iso = await Iso9660.open(bufferSource(image));
    for (const path of ['COREOS/IGNINFO.JSO', 'coreos/igninfo.jso', '/COREOS/IGNINFO.JSO;1', 'COREOS./IGNINFO.JSO.']) {
      const f = await iso.findFile(path);
      expect(f).toMatchObject({ offset: files.get('COREOS/IGNINFO.JSO')!.offset, size: IGNINFO.length });
      expect(f!.offset).toBe(f!.lba * 2048);
    }
    const f = await iso.getFile('images/pxeboot/rootfs.img');
    expect(f.size).toBe(5000);
    expect(await iso.readFile(await iso.getFile('COREOS/IGNINFO.JSO'))).toEqual(IGNINFO);
  });

  it('does not match level-2 names against level-1 records', async () => {
    const iso = await Iso9660.open(bufferSource(sample().image));
    expect(await iso.findFile('COREOS/IGNINFO.JSON')).toBeUndefined();
    expect(await iso.findFile('NOPE/IGNINFO.JSO')).toBeUndefined();
    expect(await iso.findFile('README.MD/X')).toBeUndefined();
    await expect(iso.getFile('COREOS/KARGS.JSO')).rejects.toMatchObject({
      message: expect.stringMatching(/not found/),
      fix: expect.stringMatching(/level-1/),
    });
    await expect(iso.findFile('COREOS')).rejects.toThrow(/is a directory/);
  });

  it('reads only the sectors it needs', async () => {
    const { image } = sample();
    const src = countingSource(image);
    const iso = await Iso9660.open(src);
    await iso.readFile(await iso.getFile('COREOS/IGNINFO.JSO'));
    // PVD + root dir + COREOS dir + the file; the image is > 2 MB.
    expect(src.bytesRead).toBeLessThanOrEqual(3 * 2048 + IGNINFO.length);
    expect(image.length).toBeGreaterThan(2_000_000);
  });

  it('refuses multi-extent files', async () => {
    const iso = await Iso9660.open(bufferSource(sample({ multiExtent: true }).image));
    await expect(iso.findFile('IMAGES/PXEBOOT/ROOTFS.IMG')).rejects.toThrow(/multi-extent/);
  });

  it('refuses non-ISO data and truncated images', async () => {
    await expect(Iso9660.open(bufferSource(Buffer.alloc(100)))).rejects.toThrow(/not an ISO 9660 image: file too small/);
    await expect(Iso9660.open(bufferSource(Buffer.alloc(40 * 2048)))).rejects.toThrow(/no volume descriptor at sector 16/);
    const { image } = sample();
    await expect(Iso9660.open(bufferSource(image.subarray(0, image.length - 2048)))).rejects.toThrow(/truncated/);
  });
});
