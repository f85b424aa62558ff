import { describe, expect, it } from 'vitest';
import {
  applyKargsEdit,
  buildIgnitionArea,
  buildKargsArea,
  currentKargs,
  ignitionAreaOf,
  isAllZero,
  isoPathOf,
  kargsAreasOf,
  parseFeatures,
  parseIgnInfo,
  parseKargsArea,
  parseKargsInfo,
  type KargsArea,
} from '../../../src/formats/embed-areas.js';

describe('igninfo.json', () => {
  it('defaults to the whole file', () => {
    const info = parseIgnInfo('{"file": "images/ignition.img"}');
    expect(isoPathOf(info.file)).toBe('IMAGES/IGNITION.IMG');
    expect(ignitionAreaOf(info, { offset: 102400, size: 262144 })).toEqual({ offset: 102400, length: 262144 });
  });

  it('supports the s390x offset/length form inside cdboot.img', () => {
    const info = parseIgnInfo('{"file": "images/cdboot.img", "offset": 1048576, "length": 262144}');
    expect(ignitionAreaOf(info, { offset: 4096, size: 1048576 + 262144 + 100 })).toEqual({ offset: 4096 + 1048576, length: 262144 });
    // offset only: the rest of the file
    expect(ignitionAreaOf(parseIgnInfo('{"file": "a", "offset": 100}'), { offset: 0, size: 1000 })).toEqual({ offset: 100, length: 900 });
  });

  it('refuses areas outside the file and malformed JSON', () => {
    const info = parseIgnInfo('{"file": "images/cdboot.img", "offset": 1000, "length": 262144}');
    expect(() => ignitionAreaOf(info, { offset: 0, size: 2000 })).toThrow(/lies outside/);
    expect(() => ignitionAreaOf(parseIgnInfo('{"file": "big"}'), { offset: 0, size: 2 ** 31 })).toThrow(/larger than/);
    expect(() => parseIgnInfo('{"file": 3}')).toThrow(/invalid coreos\/igninfo.json.*file/);
    expect(() => parseIgnInfo('nope')).toThrow(/not JSON/);
  });

  it('builds the area: initrd then zeros; too large is an error', () => {
    const area = buildIgnitionArea(Buffer.from([1, 2, 3]), 16);
    expect([...area]).toEqual([1, 2, 3, ...Array(13).fill(0)]);
    expect(isAllZero(buildIgnitionArea(undefined, 16))).toBe(true);
    expect(() => buildIgnitionArea(Buffer.alloc(17, 1), 16)).toThrow(/too large/);
    expect(buildIgnitionArea(Buffer.alloc(16, 1), 16).length).toBe(16);
  });
});

const INFO = `{
  "default": "mitigations=auto,nosmt coreos.liveiso=fedora-coreos-34 ignition.firstboot ignition.platform.id=metal",
  "files": [{"path": "EFI/fedora/grub.cfg", "offset": 200}, {"path": "isolinux/isolinux.cfg", "offset": 900, "pad": "#", "end": "\\n"}],
  "size": 1139
}`;

function areas(): KargsArea[] {
  const info = parseKargsInfo(INFO);
  const files: Record<string, { offset: number; size: number }> = {
    'EFI/fedora/grub.cfg': { offset: 98126 - 200 + 0, size: 4000 },
    'isolinux/isolinux.cfg': { offset: 371658 - 900, size: 4000 },
  };
  return kargsAreasOf(info, (p) => files[p]!);
}

describe('kargs.json', () => {
  it('resolves the areas to absolute offsets with default pad and end', () => {
    expect(areas()).toEqual([
      { path: 'EFI/fedora/grub.cfg', offset: 98126, length: 1139, pad: '#', end: '\n' },
      { path: 'isolinux/isolinux.cfg', offset: 371658, length: 1139, pad: '#', end: '\n' },
    ]);
  });

  it('validates size, default length and pad', () => {
    expect(() => parseKargsInfo('{"default": "a", "files": [{"path": "x", "offset": 0}], "size": 4096}')).toThrow(/size/);
    expect(() => parseKargsInfo('{"default": "abcd", "files": [{"path": "x", "offset": 0}], "size": 4}')).toThrow(/longer than the embed areas/);
    expect(() => parseKargsInfo('{"default": "a", "files": [{"path": "x", "offset": 0, "pad": "##"}], "size": 8}')).toThrow(/pad/);
    expect(() => parseKargsInfo('{"default": "a", "files": [], "size": 8}')).toThrow(/files/);
    const info = parseKargsInfo('{"default": "a", "files": [{"path": "x", "offset": 10}], "size": 8}');
    expect(() => kargsAreasOf(info, () => ({ offset: 0, size: 17 }))).toThrow(/lies outside x/);
  });

  it('builds an area: kargs + end, then pad to the size', () => {
    const area = buildKargsArea('  a=1 b  ', { length: 12, pad: '#', end: '\n' });
    expect(area.toString()).toBe('a=1 b\n######');
    expect(buildKargsArea('a', { length: 4, pad: '\0', end: '\0' })).toEqual(Buffer.from([0x61, 0, 0, 0]));
    expect(buildKargsArea('abc', { length: 4, pad: '#', end: '\n' }).toString()).toBe('abc\n');
  });

  it('refuses kargs that do not fit or would break the line', () => {
    expect(() => buildKargsArea('abcd', { length: 4, pad: '#', end: '\n' })).toThrow(/too long.*5 bytes.*holds 4/);
    expect(() => buildKargsArea('a\nb', { length: 40, pad: '#', end: '\n' })).toThrow(/control character/);
    expect(() => buildKargsArea('a=#', { length: 40, pad: '#', end: '\n' })).toThrow(/padding character/);
  });

  it('parses an area back, also with s390x NUL pad and end', () => {
    const a = areas()[0]!;
    expect(parseKargsArea(buildKargsArea('x y=z', a), a)).toBe('x y=z');
    const s390 = { path: 'images/cdboot.img', pad: '\0', end: '\0' };
    expect(parseKargsArea(Buffer.from('rd.foo\0\0\0\0'), s390)).toBe('rd.foo');
    expect(() => parseKargsArea(Buffer.from([0xff, 0xfe]), s390)).toThrow(/not valid UTF-8/);
  });

  it('requires every area to agree', () => {
    const [a, b] = areas() as [KargsArea, KargsArea];
    expect(currentKargs([
      { area: a, bytes: buildKargsArea('k=1', a) },
      { area: b, bytes: buildKargsArea('k=1', b) },
    ])).toBe('k=1');
    expect(() => currentKargs([
      { area: a, bytes: buildKargsArea('k=1', a) },
      { area: b, bytes: buildKargsArea('k=2', b) },
    ])).toThrow(/areas disagree.*EFI\/fedora\/grub.cfg has "k=1" but isolinux\/isolinux.cfg has "k=2"/);
    expect(() => currentKargs([])).toThrow(/no kernel-argument areas/);
  });
});

describe('applyKargsEdit (coreos-installer semantics)', () => {
  it('deletes whole arguments only', () => {
    expect(applyKargsEdit('foo bar foobar', { delete: ['foo'] })).toBe('bar foobar');
    expect(applyKargsEdit('foo bar foobar', { delete: ['bar'] })).toBe('foo foobar');
    expect(applyKargsEdit('foo bar foobar', { delete: ['foobar'] })).toBe('foo bar');
    expect(applyKargsEdit('foo bar foobar', { delete: ['foo bar'] })).toBe('foobar');
    expect(applyKargsEdit('foo bar foobar', { delete: ['bar', 'foo'] })).toBe('foobar');
    expect(applyKargsEdit('foo=val bar baz=val', { delete: ['   foo=val'] })).toBe('bar baz=val');
    expect(applyKargsEdit('a a a b', { delete: ['a'] })).toBe('b');
    expect(applyKargsEdit('a b', { delete: ['absent'] })).toBe('a b');
  });

  it('deletes, then appends, then replaces, whatever the flag order', () => {
    const orig = 'foo mitigations=auto,nosmt console=tty0 bar console=ttyS0,115200n8 baz';
    expect(applyKargsEdit(orig, {
      append: ['console=ttyS1,115200n8'],
      replace: ['mitigations=auto,nosmt=auto'],
      delete: ['console=ttyS0,115200n8'],
    })).toBe('foo mitigations=auto console=tty0 bar baz console=ttyS1,115200n8');
  });

  it('refuses malformed replacements', () => {
    expect(() => applyKargsEdit('a=b', { replace: ['a=b'] })).toThrow(/KEY=OLD=NEW/);
    expect(() => applyKargsEdit('a=b', { replace: ['a=b=c=d'] })).toThrow(/KEY=OLD=NEW/);
  });
});

describe('features.json', () => {
  it('keeps known and unknown flags', () => {
    expect(parseFeatures('{"installer-config": true, "live-initrd-network": true, "future": 1}')).toEqual({
      'installer-config': true, 'live-initrd-network': true, future: 1,
    });
  });
});
