// The live ISO and PXE commands against real tools: ISOs made by xorriso (-R -J, level-1 primary names, like
// CoreOS live ISOs), checked by xorriso extraction, xz --list, GNU cpio and ignition-validate.

import { readNetworkKeyfiles } from '../../src/live/iso-embed.js';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerIsoCommands } from '../../src/cli/commands/iso.js';
import { registerPxeCommands } from '../../src/cli/commands/pxe.js';
import { compress, xzCheckType } from '../../src/formats/compress.js';
import { decompressStream } from '../../src/formats/compress-stream.js';
import { writeCpio } from '../../src/formats/cpio.js';
import { packIgnitionInitrd, unpackIgnitionInitrd, unpackInitrd } from '../../src/formats/ignition-initrd.js';
import { isoCustomize, pxeCustomize } from '../../src/live/customize.js';
import {
  embedIgnition,
  modifyKargs,
  readIsoEmbedInfo,
  removeIgnition,
  resetKargs,
  showIgnition,
  showKargs,
} from '../../src/live/iso-embed.js';
import { coreosIsoTree, DEFAULT_KARGS, VOLUME_ID } from '../helpers/coreos-iso.js';

const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA test"]}]}}\n');

let work: string;
let baseIso: string;

async function stage(dir: string, files: Map<string, Buffer>): Promise<void> {
  for (const [path, data] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  }
}

async function makeIso(out: string, files: Map<string, Buffer>, extra: string[] = []): Promise<void> {
  const dir = await mkdtemp(join(work, 'stage-'));
  await stage(dir, files);
  await execa('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', VOLUME_ID, ...extra, '-o', out, dir]);
}

/** Extract the whole ISO (Rock Ridge names) with xorriso. */
async function extract(iso: string): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(work, 'x-'));
  await execa('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', dir]);
  const out = new Map<string, Buffer>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  await chmod(dir, 0o755);
  return out;
}

/** Files that differ between two extractions. */
function changedFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  return [...a.keys()].filter((k) => !a.get(k)!.equals(b.get(k)!)).sort();
}

/** Byte offsets where two equal-length images differ, as [start, end) runs. */
function diffRuns(a: Buffer, b: Buffer): [number, number][] {
  expect(a.length).toBe(b.length);
  const runs: [number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  return runs;
}

async function onlyAreasChanged(before: Buffer, afterPath: string): Promise<void> {
  const info = await readIsoEmbedInfo(afterPath);
  const areas = [info.ignition, ...(info.kargs?.areas ?? [])];
  for (const [s, e] of diffRuns(before, await readFile(afterPath))) {
    expect(areas.some((a) => s >= a.offset && e <= a.offset + a.length), `change at ${s}..${e} outside the areas`).toBe(true);
  }
}

const sha = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');

async function fresh(name = 'live.iso'): Promise<string> {
  const p = join(work, name);
  await copyFile(baseIso, p);
  return p;
}

/** Run day0's iso/pxe commands in-process, capturing stdout. */
async function cli(...args: string[]): Promise<Buffer> {
  const program = new Command().exitOverride();
  registerIsoCommands(program);
  registerPxeCommands(program);
  const chunks: Buffer[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, cb?: unknown) => {
    chunks.push(Buffer.from(chunk));
    const done = typeof cb === 'function' ? cb : undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write);
  try {
    await program.parseAsync(['node', 'day0', ...args]);
  } finally {
    spy.mockRestore();
  }
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'day0-iso-it-'));
  baseIso = join(work, 'base.iso');
  // A live image that supports installer config and initramfs networking, as CoreOS's says in coreos/features.json.
  await makeIso(baseIso, coreosIsoTree({ features: { 'installer-config': true, 'live-initrd-network': true } }).files);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('an xorriso-made CoreOS-shaped ISO', () => {
  it('is read through its level-1 primary names', async () => {
    const info = await readIsoEmbedInfo(baseIso);
    expect(info).toMatchObject({ volumeId: VOLUME_ID, ignition: { length: 262144, empty: true } });
    expect(info.kargs?.current).toBe(DEFAULT_KARGS);
    expect(info.kargs?.areas).toHaveLength(2);
  });

  it('with ISO level 3 names gets a clear error', async () => {
    const iso = join(work, 'level3.iso');
    await makeIso(iso, coreosIsoTree().files, ['-iso-level', '3']);
    await expect(showKargs(iso)).rejects.toThrow(/ISO level 2\/3 file names/);
  });
});

describe('iso ignition embed / show / remove', () => {
  it('embeds an xz (CRC32) cpio, changing only the Ignition area', async () => {
    const iso = await fresh();
    const before = await readFile(iso);
    const beforeFiles = await extract(iso);
    await embedIgnition(iso, CONFIG);
    await onlyAreasChanged(before, iso);
    const afterFiles = await extract(iso);
    expect(changedFiles(beforeFiles, afterFiles)).toEqual(['images/ignition.img']);

    // The area as xorriso extracts it: an xz stream with the CRC32 check, zero-filled, holding config.ign 0600.
    const img = join(work, 'ignition.img');
    await writeFile(img, afterFiles.get('images/ignition.img')!);
    const list = (await execa('xz', ['--robot', '--list', img])).stdout;
    expect(list).toMatch(/^file\t.*\tCRC32\t/m);
    expect(list).not.toMatch(/CRC64/);
    expect(xzCheckType(afterFiles.get('images/ignition.img')!)).toBe('crc32');
    const cpio = (await execa('sh', ['-c', `xz -dc < ${img} | cpio -itv 2>/dev/null`])).stdout;
    expect(cpio).toMatch(/^-rw------- .* config\.ign$/m);
    const extracted = await execa('sh', ['-c', `xz -dc < ${img} | cpio -i --to-stdout config.ign 2>/dev/null`], { encoding: 'buffer', stripFinalNewline: false });
    expect(Buffer.from(extracted.stdout)).toEqual(CONFIG);

    expect(await showIgnition(iso)).toEqual(CONFIG);
    await removeIgnition(iso);
    expect(await readFile(iso)).toEqual(before);
  });

  it('through the CLI: embed -i, show, remove -o', async () => {
    const iso = await fresh();
    const cfg = join(work, 'config.ign');
    await writeFile(cfg, CONFIG);
    await cli('iso', 'ignition', 'embed', '-i', cfg, iso);
    expect(await cli('iso', 'ignition', 'show', iso)).toEqual(CONFIG);
    await expect(cli('iso', 'ignition', 'embed', '-i', cfg, iso)).rejects.toThrow(/already has an embedded Ignition config/);
    await cli('iso', 'ignition', 'embed', '-f', '-i', cfg, iso);
    const out = join(work, 'removed.iso');
    await cli('iso', 'ignition', 'remove', '-o', out, iso);
    expect(await sha(out)).toBe(await sha(baseIso));
  });

  it('refuses a too-large config and an existing config, leaving the file byte-identical', async () => {
    const iso = await fresh();
    const random = (await execa('sh', ['-c', 'head -c 400000 /dev/urandom | base64 -w0'])).stdout;
    const huge = Buffer.from(JSON.stringify({ ignition: { version: '3.3.0' }, storage: { files: [{ path: '/x', contents: { source: `data:;base64,${random}` } }] } }));
    const before = await sha(iso);
    await expect(embedIgnition(iso, huge)).rejects.toThrow(/too large/);
    expect(await sha(iso)).toBe(before);

    await embedIgnition(iso, CONFIG);
    const customized = await sha(iso);
    await expect(embedIgnition(iso, CONFIG)).rejects.toThrow(/already has/);
    await expect(isoCustomize(iso, { liveIgnition: [join(work, 'config.ign')] })).rejects.toThrow(/already customized/);
    expect(await sha(iso)).toBe(customized);
  });
});

describe('iso kargs modify / show / reset', () => {
  it('edits both bootloader configs alike and nothing else', async () => {
    const iso = await fresh();
    const before = await readFile(iso);
    const beforeFiles = await extract(iso);
    await cli('iso', 'kargs', 'modify', '-a', 'console=ttyS0,115200n8', '-d', 'ignition.firstboot', '-r', `coreos.liveiso=${VOLUME_ID}=OTHER`, iso);
    const expected = 'coreos.liveiso=OTHER ignition.platform.id=metal console=ttyS0,115200n8';
    expect((await cli('iso', 'kargs', 'show', iso)).toString()).toBe(`${expected}\n`);
    expect((await cli('iso', 'kargs', 'show', '--default', iso)).toString()).toBe(`${DEFAULT_KARGS}\n`);
    await onlyAreasChanged(before, iso);
    const afterFiles = await extract(iso);
    expect(changedFiles(beforeFiles, afterFiles)).toEqual(['EFI/BOOT/grub.cfg', 'isolinux/isolinux.cfg']);
    expect(afterFiles.get('EFI/BOOT/grub.cfg')!.toString()).toMatch(new RegExp(`linux /images/pxeboot/vmlinuz ${expected}\\n#+ COREOS_KARG_EMBED_AREA\\n`));
    expect(afterFiles.get('isolinux/isolinux.cfg')!.toString()).toMatch(new RegExp(`append initrd=\\S+ ${expected}\\n#+ COREOS_KARG_EMBED_AREA\\n`));

    const reset = join(work, 'reset.iso');
    await cli('iso', 'kargs', 'reset', '-o', reset, iso);
    expect(await sha(reset)).toBe(await sha(baseIso));
    expect(await showKargs(iso)).toBe(expected); // -o left the input alone
    await resetKargs(iso);
    expect(await readFile(iso)).toEqual(before);
  });

  it('refuses kargs that do not fit, leaving the file byte-identical', async () => {
    const iso = await fresh();
    const before = await sha(iso);
    await expect(modifyKargs(iso, { append: ['x'.repeat(1100)] })).rejects.toThrow(/too long/);
    expect(await sha(iso)).toBe(before);
  });
});

describe('iso customize', () => {
  let files: Record<string, string>;
  beforeEach(async () => {
    const dir = await mkdtemp(join(work, 'inputs-'));
    const write = async (name: string, data: string | Buffer): Promise<string> => {
      await writeFile(join(dir, name), data);
      return join(dir, name);
    };
    files = {
      liveA: await write('live-a.ign', '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/a","contents":{"source":"data:,a"}}]}}'),
      liveB: await write('live-b.ign', '{"ignition":{"version":"3.2.0"},"storage":{"files":[{"path":"/etc/b","contents":{"source":"data:,b"}}]}}'),
      dest: await write('dest.ign', CONFIG),
      keyfile: await write('eth0.nmconnection', '[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n'),
      ca: await write('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    };
  });

  it('writes a customized copy with -o: input untouched, only the areas changed, a valid live config', async () => {
    const iso = await fresh();
    const before = await readFile(iso);
    const out = join(work, 'custom.iso');
    await cli(
      'iso', 'customize',
      '--live-ignition', files.liveA!, '--live-ignition', files.liveB!,
      '--dest-ignition', files.dest!, '--dest-device', '/dev/vda', '--dest-karg-append', 'console=ttyS0',
      '--network-keyfile', files.keyfile!, '--ignition-ca', files.ca!,
      '--live-karg-append', 'rd.debug',
      '-o', out, iso,
    );
    expect(await readFile(iso)).toEqual(before);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    await onlyAreasChanged(before, out);
    expect(await showKargs(out)).toBe(`${DEFAULT_KARGS} rd.debug`);
    expect(changedFiles(await extract(iso), await extract(out))).toEqual(['EFI/BOOT/grub.cfg', 'images/ignition.img', 'isolinux/isolinux.cfg']);

    const live = await showIgnition(out);
    const liveFile = join(work, 'live-out.ign');
    await writeFile(liveFile, live);
    const validate = await execa('ignition-validate', [liveFile], { reject: false });
    expect(validate.exitCode, validate.stderr).toBe(0);

    const config = JSON.parse(live.toString()) as {
      ignition: { version: string; config: { merge: { source: string }[] } };
      storage: { files: { path: string; mode: number; contents: { source: string } }[] };
    };
    const decode = (s: string): string => gunzipSync(Buffer.from(s.replace(/^data:;base64,/, ''), 'base64')).toString();
    expect(config.ignition.version).toBe('3.3.0');
    expect(config.ignition.config.merge.map((r) => decode(r.source))).toEqual([await readFile(files.liveA!, 'utf8'), await readFile(files.liveB!, 'utf8')]);
    const byPath = Object.fromEntries(config.storage.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual([
      '/etc/coreos/dest.ign',
      '/etc/coreos/installer.d/0001-day0.yaml',
    ]);
    expect(Object.values(byPath).every((f) => f.mode === 0o600)).toBe(true);
    const yaml = decode(byPath['/etc/coreos/installer.d/0001-day0.yaml']!.contents.source);
    expect(yaml).toContain('dest-device: "/dev/vda"\nignition-file: "/etc/coreos/dest.ign"\nappend-karg:\n  - "console=ttyS0"\ncopy-network: true\n');
    // Keyfiles go where coreos-installer puts them: the appended initrd's etc/coreos-firstboot-network/.
    const keyfiles = await readNetworkKeyfiles(out);
    expect([...keyfiles.keys()]).toEqual(['eth0.nmconnection']);
    expect(keyfiles.get('eth0.nmconnection')!.toString()).toBe(await readFile(files.keyfile!, 'utf8'));
    // The dest config is the user's plus the CA, wrapped; Ignition accepts it too.
    const dest = join(work, 'dest-out.ign');
    await writeFile(dest, decode(byPath['/etc/coreos/dest.ign']!.contents.source));
    expect((await execa('ignition-validate', [dest], { reject: false })).exitCode).toBe(0);
  });

  it('customizes in place and refuses a second time unless forced', async () => {
    const iso = await fresh();
    await isoCustomize(iso, { liveIgnition: [files.liveA!] });
    expect((await showIgnition(iso)).toString()).toBe(await readFile(files.liveA!, 'utf8'));
    const customized = await sha(iso);
    await expect(isoCustomize(iso, { liveIgnition: [files.liveB!] })).rejects.toThrow(/already customized/);
    expect(await sha(iso)).toBe(customized);
    await isoCustomize(iso, { liveIgnition: [files.liveB!], force: true });
    expect((await showIgnition(iso)).toString()).toBe(await readFile(files.liveB!, 'utf8'));
  });
});

describe('initrds with the real xz and zstd', () => {
  it('xz initrds from packIgnitionInitrd are CRC32 (footer flags) and round-trip', async () => {
    const initrd = await packIgnitionInitrd(CONFIG, { compression: 'xz' });
    expect(initrd[initrd.length - 3]! & 0x0f).toBe(0x01); // footer stream flags: check type 1 = CRC32
    expect(xzCheckType(initrd)).toBe('crc32');
    expect(await unpackIgnitionInitrd(initrd)).toEqual(CONFIG);
  });

  it('decompresses xz, zstd and gzip as streams', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024, 'day0 ');
    const inputs = {
      xz: await compress(data, 'xz'),
      gzip: await compress(data, 'gzip'),
      zstd: Buffer.from((await execa('zstd', ['-q', '-c'], { input: data, encoding: 'buffer' })).stdout),
    };
    for (const [kind, compressed] of Object.entries(inputs)) {
      const chunks: Buffer[] = [];
      await pipeline(Readable.from([compressed]), decompressStream(kind as 'xz' | 'gzip' | 'zstd'), async (source: AsyncIterable<Buffer>) => {
        for await (const c of source) chunks.push(c);
      });
      expect(Buffer.concat(chunks).equals(data), kind).toBe(true);
    }
  });

  it('reads zstd, xz, gzip and plain segments concatenated with zero padding', async () => {
    const cpio = (path: string, data: string): Buffer => writeCpio([{ type: 'file', path, data: Buffer.from(data) }]);
    const zstd = Buffer.from((await execa('zstd', ['-q', '-c'], { input: cpio('a', 'zstd'), encoding: 'buffer' })).stdout);
    const xzCrc64 = Buffer.from((await execa('xz', ['-c', '--check=crc64'], { input: cpio('b', 'xz'), encoding: 'buffer' })).stdout);
    const initrd = Buffer.concat([
      cpio('early', 'plain'), Buffer.alloc(4),
      zstd, Buffer.alloc(7),
      xzCrc64, Buffer.alloc(8),
      await compress(cpio('c', 'gz'), 'gzip'),
      await packIgnitionInitrd(CONFIG, { compression: 'xz' }), Buffer.alloc(4),
    ]);
    const files = await unpackInitrd(initrd);
    expect(Object.fromEntries([...files].map(([k, v]) => [k, v.length === CONFIG.length ? 'config' : v.toString()]))).toEqual({
      early: 'plain', a: 'zstd', b: 'xz', c: 'gz', 'config.ign': 'config',
    });
  });

  it('pxe ignition wrap / unwrap through the CLI', async () => {
    const cfg = join(work, 'wrap.ign');
    await writeFile(cfg, CONFIG);
    const out = join(work, 'wrap.img');
    await cli('pxe', 'ignition', 'wrap', '-i', cfg, '-o', out);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(xzCheckType(await readFile(out))).toBe('crc32');
    expect(await cli('pxe', 'ignition', 'unwrap', out)).toEqual(CONFIG);
  });

  it('pxe customize appends an xz cpio the kernel format readers accept', async () => {
    const initramfs = join(work, 'initramfs.img');
    const base = writeCpio([{ type: 'file', path: 'etc/coreos-live-initramfs', data: Buffer.from('1') }]);
    await writeFile(initramfs, Buffer.from((await execa('zstd', ['-q', '-c'], { input: base, encoding: 'buffer' })).stdout));
    const liveCfg = join(work, 'pxe-live.ign');
    await writeFile(liveCfg, CONFIG);
    const out = join(work, 'custom-initramfs.img');
    await pxeCustomize(initramfs, { output: out, liveIgnition: [liveCfg] });
    const inSize = (await stat(initramfs)).size;
    const written = await readFile(out);
    const at = Math.ceil(inSize / 4) * 4;
    expect(written.subarray(at, at + 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    expect(xzCheckType(written, at)).toBe('crc32');
    const files = await unpackInitrd(written);
    expect(files.get('config.ign')).toEqual(CONFIG);
    expect(files.has('etc/coreos-live-initramfs')).toBe(true);
  });
});
