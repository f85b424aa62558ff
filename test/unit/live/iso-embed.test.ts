import { mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  embedIgnition,
  modifyKargs,
  readIsoEmbedInfo,
  removeIgnition,
  resetKargs,
  showIgnition,
  showKargs,
} from '../../../src/live/iso-embed.js';
import { coreosIsoImage, DEFAULT_KARGS } from '../../helpers/coreos-iso.js';

const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"}}\n');
const gzip = { compression: 'gzip' } as const;

let dir: string;
let iso: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'day0-iso-embed-'));
  iso = join(dir, 'live.iso');
  await writeFile(iso, coreosIsoImage({ ignitionAreaSize: 65536 }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Byte ranges where two equal-length buffers differ, merged. */
function diffRanges(a: Buffer, b: Buffer): [number, number][] {
  expect(a.length).toBe(b.length);
  const out: [number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const last = out[out.length - 1];
    if (last && i <= last[1] + 64) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

function within(ranges: [number, number][], areas: { offset: number; length: number }[]): boolean {
  return ranges.every(([s, e]) => areas.some((a) => s >= a.offset && e <= a.offset + a.length));
}

describe('readIsoEmbedInfo', () => {
  it('finds the Ignition and kernel-argument areas', async () => {
    const info = await readIsoEmbedInfo(iso);
    expect(info.volumeId).toBe('DAY0TEST');
    expect(info.ignition).toMatchObject({ file: 'images/ignition.img', length: 65536, empty: true });
    expect(info.ignition.offset % 2048).toBe(0);
    expect(info.kargs?.default).toBe(DEFAULT_KARGS);
    expect(info.kargs?.current).toBe(DEFAULT_KARGS);
    expect(info.kargs?.areas.map((a) => a.path)).toEqual(['EFI/BOOT/grub.cfg', 'isolinux/isolinux.cfg']);
  });

  it('explains a non-CoreOS ISO and a missing file', async () => {
    await expect(readIsoEmbedInfo(join(dir, 'nope.iso'))).rejects.toThrow(/no such file/);
    const { writeIso } = await import('../../helpers/iso9660-writer.js');
    await writeFile(iso, writeIso({ files: [{ path: 'README.TXT', data: Buffer.from('x') }] }).image);
    await expect(readIsoEmbedInfo(iso)).rejects.toThrow(/not a CoreOS-style live ISO/);
  });
});

describe('iso ignition embed/show/remove', () => {
  it('embeds in place, changing only the Ignition area, and shows the config back', async () => {
    const before = await readFile(iso);
    await embedIgnition(iso, CONFIG, gzip);
    const after = await readFile(iso);
    const info = await readIsoEmbedInfo(iso);
    expect(info.ignition.empty).toBe(false);
    expect(within(diffRanges(before, after), [info.ignition])).toBe(true);
    expect(await showIgnition(iso)).toEqual(CONFIG);

    await removeIgnition(iso);
    expect(await readFile(iso)).toEqual(before);
    await expect(showIgnition(iso)).rejects.toThrow(/has no embedded Ignition config/);
  });

  it('refuses to overwrite an embedded config without force, leaving the file byte-identical', async () => {
    await embedIgnition(iso, CONFIG, gzip);
    const before = await readFile(iso);
    const other = Buffer.from('{"ignition":{"version":"3.4.0"}}');
    await expect(embedIgnition(iso, other, gzip)).rejects.toThrow(/already has an embedded Ignition config/);
    expect(await readFile(iso)).toEqual(before);
    await embedIgnition(iso, other, { ...gzip, force: true });
    expect(await showIgnition(iso)).toEqual(other);
  });

  it('refuses a config larger than the area, writing nothing', async () => {
    const before = await readFile(iso);
    const huge = Buffer.from(JSON.stringify({ ignition: { version: '3.3.0' }, x: [...Array(30000)].map((_, i) => Math.random().toString(36) + i) }));
    await expect(embedIgnition(iso, huge, gzip)).rejects.toThrow(/too large for the ISO's embed area/);
    expect(await readFile(iso)).toEqual(before);
    const out = join(dir, 'out.iso');
    await expect(embedIgnition(iso, huge, { ...gzip, output: out })).rejects.toThrow(/too large/);
    expect(await readdir(dir)).toEqual(['live.iso']);
  });

  it('refuses something that is not an Ignition config, writing nothing', async () => {
    const before = await readFile(iso);
    await expect(embedIgnition(iso, Buffer.from('variant: fcos\nversion: 1.5.0\n'), gzip)).rejects.toThrow(/not valid JSON/);
    expect(await readFile(iso)).toEqual(before);
  });

  it('with -o writes a 0600 copy and leaves the input untouched', async () => {
    const before = await readFile(iso);
    const out = join(dir, 'custom.iso');
    await embedIgnition(iso, CONFIG, { ...gzip, output: out });
    expect(await readFile(iso)).toEqual(before);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(await showIgnition(out)).toEqual(CONFIG);
    const info = await readIsoEmbedInfo(out);
    expect(within(diffRanges(before, await readFile(out)), [info.ignition])).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['custom.iso', 'live.iso']);
  });

  it('with -o into a missing directory fails cleanly', async () => {
    await expect(embedIgnition(iso, CONFIG, { ...gzip, output: join(dir, 'no/such/dir/out.iso') })).rejects.toThrow(/no such file/);
  });

  it('in place on a read-only ISO says to use -o', async () => {
    if (process.getuid?.() === 0) return; // root ignores file modes
    await chmod(iso, 0o444);
    await expect(embedIgnition(iso, CONFIG, gzip)).rejects.toMatchObject({ fix: expect.stringMatching(/-o OUTPUT/) });
  });
});

describe('iso kargs show/modify/reset', () => {
  it('modifies every area alike, shows and resets', async () => {
    const before = await readFile(iso);
    const kargs = await modifyKargs(iso, { append: ['console=ttyS0'], delete: ['ignition.firstboot'] });
    expect(kargs).toBe('coreos.liveiso=DAY0TEST ignition.platform.id=metal console=ttyS0');
    expect(await showKargs(iso)).toBe(kargs);
    expect(await showKargs(iso, { default: true })).toBe(DEFAULT_KARGS);
    const info = await readIsoEmbedInfo(iso);
    expect(within(diffRanges(before, await readFile(iso)), info.kargs!.areas)).toBe(true);
    // The GRUB line now carries the new arguments, and the pad run still ends the area.
    const grub = (await readFile(iso)).toString('latin1', info.kargs!.areas[0]!.offset - 40, info.kargs!.areas[0]!.offset + 1100);
    expect(grub).toMatch(/linux \/images\/pxeboot\/vmlinuz coreos\.liveiso=DAY0TEST ignition\.platform\.id=metal console=ttyS0\n#+ COREOS_KARG_EMBED_AREA/);

    expect(await resetKargs(iso)).toBe(DEFAULT_KARGS);
    expect(await readFile(iso)).toEqual(before);
  });

  it('refuses kargs longer than the area, writing nothing', async () => {
    const before = await readFile(iso);
    await expect(modifyKargs(iso, { append: ['x'.repeat(2000)] })).rejects.toThrow(/too long/);
    expect(await readFile(iso)).toEqual(before);
  });

  it('refuses disagreeing areas', async () => {
    const info = await readIsoEmbedInfo(iso);
    const img = await readFile(iso);
    img.write('foo=bar\n', info.kargs!.areas[1]!.offset, 'latin1');
    await writeFile(iso, img);
    await expect(showKargs(iso)).rejects.toThrow(/areas disagree/);
    await expect(modifyKargs(iso, { append: ['a'] })).rejects.toThrow(/areas disagree/);
  });

  it('explains an ISO without kargs.json', async () => {
    await writeFile(iso, coreosIsoImage({ ignitionAreaSize: 4096, kargs: false }));
    await expect(showKargs(iso)).rejects.toThrow(/no kernel-argument embed areas/);
    // Ignition embedding still works.
    await embedIgnition(iso, CONFIG, gzip);
    expect(await showIgnition(iso)).toEqual(CONFIG);
  });
});
