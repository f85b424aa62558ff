import { describe, expect, it } from 'vitest';
import { guidText, readGpt, type ReadAt } from '../../../src/formats/gpt.js';

/** GUID text → on-disk mixed-endian bytes. */
function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, '');
  const rev = (s: string) => Buffer.from(s, 'hex').reverse();
  return Buffer.concat([rev(h.slice(0, 8)), rev(h.slice(8, 12)), rev(h.slice(12, 16)), Buffer.from(h.slice(16), 'hex')]);
}

const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

function disk(sector: number, parts: { name: string; type: string; first: number; last: number }[]): Buffer {
  const img = Buffer.alloc(sector * 40);
  const hdr = img.subarray(sector);
  hdr.write('EFI PART', 0, 'latin1');
  hdr.writeBigUInt64LE(2n, 72); // entries at LBA 2
  hdr.writeUInt32LE(128, 80);
  hdr.writeUInt32LE(128, 84);
  parts.forEach((p, i) => {
    const e = img.subarray(2 * sector + i * 128);
    guidBytes(p.type).copy(e, 0);
    e.writeBigUInt64LE(BigInt(p.first), 32);
    e.writeBigUInt64LE(BigInt(p.last), 40);
    e.write(p.name, 56, 'utf16le');
  });
  return img;
}

const at = (buf: Buffer): ReadAt => async (pos, len) => buf.subarray(pos, pos + len);

describe('GPT reader', () => {
  it('round-trips GUID text through the mixed-endian layout', () => {
    expect(guidText(guidBytes(ESP))).toBe(ESP);
  });

  for (const sector of [512, 4096] as const) {
    it(`finds partitions by name with byte offsets on ${sector}-byte sectors`, async () => {
      const g = await readGpt(at(disk(sector, [
        { name: 'EFI-SYSTEM', type: ESP, first: 34, last: 35 },
        { name: 'boot', type: LINUX, first: 36, last: 38 },
      ])));
      expect(g.sectorSize).toBe(sector);
      expect(g.partitions).toEqual([
        { index: 1, name: 'EFI-SYSTEM', typeGuid: ESP, offset: 34 * sector, size: 2 * sector },
        { index: 2, name: 'boot', typeGuid: LINUX, offset: 36 * sector, size: 3 * sector },
      ]);
    });
  }

  it('refuses an image without a GPT, saying what to pass', async () => {
    await expect(readGpt(at(Buffer.alloc(16384)), 'x.raw')).rejects.toThrow(/x\.raw has no GPT partition table/);
  });
});
