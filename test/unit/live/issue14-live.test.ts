// Issue 14 items 1–4: features.json, network keyfiles in the initrd, iso extract pxe / minimal-iso, -o no-clobber.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compress } from '../../../src/formats/compress.js';
import { writeCpio } from '../../../src/formats/cpio.js';
import { unpackInitrd } from '../../../src/formats/ignition-initrd.js';
import { bufferSource, Iso9660 } from '../../../src/formats/iso9660.js';
import { isoCustomize, pxeCustomize } from '../../../src/live/customize.js';
import { extractMinimalIso, extractPxe, pxeOutputName } from '../../../src/live/extract.js';
import { featuresJson, featuresFromRootfs, parseFeaturesJson, readIsoFeatures, topLevelYamlKeys } from '../../../src/live/features.js';
import {
  embedIgnition,
  modifyKargs,
  readNetworkKeyfiles,
  removeIgnition,
  resetKargs,
  showIgnition,
  showKargs,
  writeOutputAtomically,
  writePatches,
} from '../../../src/live/iso-embed.js';
import { decodeMiniso, encodeMiniso, minisoTable, packMiniso, unpackMiniso } from '../../../src/live/miniso.js';
import { coreosIsoTree, DEFAULT_KARGS, level1Path, VOLUME_ID } from '../../helpers/coreos-iso.js';
import { writeIso } from '../../helpers/iso9660-writer.js';

const LIVE = Buffer.from('{"ignition":{"version":"3.3.0"}}');
const KEYFILE = Buffer.from('[connection]\nid=eth0\ntype=ethernet\n[wifi-security]\npsk=SECRET\n');
const ALL = { installerConfig: true, installerConfigDirectives: ['dest-device', 'ignition-file', 'append-karg', 'delete-karg', 'copy-network'], liveInitrdNetwork: true };

function isoWith(extra: Record<string, Buffer> = {}, opts: { features?: string } = {}): Buffer {
  const { files } = coreosIsoTree({ ignitionAreaSize: 65536 });
  if (opts.features !== undefined) files.set('coreos/features.json', Buffer.from(opts.features));
  for (const [k, v] of Object.entries(extra)) files.set(k, v);
  return writeIso({ volumeId: VOLUME_ID, files: [...files].map(([path, data]) => ({ path: level1Path(path), data })), extraSectors: 16 }).image;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'day0-issue14-'));
  await writeFile(join(dir, 'live.ign'), LIVE);
  await writeFile(join(dir, 'eth0.nmconnection'), KEYFILE);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('issue14 item 1: coreos/features.json', () => {
  it('item 1: featuresJson writes the document coreos-installer reads (sorted keys, directives → true)', () => {
    expect(featuresJson({ installerConfig: true, installerConfigDirectives: ['dest-device', 'append-karg'], liveInitrdNetwork: false })).toBe(
      '{\n  "installer-config": true,\n  "installer-config-directives": {\n    "append-karg": true,\n    "dest-device": true\n  },\n  "live-initrd-network": false\n}\n',
    );
    const back = parseFeaturesJson(featuresJson(ALL));
    expect(back).toEqual({ present: true, installerConfig: true, installerConfigDirectives: [...ALL.installerConfigDirectives].sort(), liveInitrdNetwork: true });
    expect(() => featuresJson({ ...ALL, installerConfigDirectives: ['Bad Name'] })).toThrow(/invalid installer config directive/);
  });

  it('item 1: readIsoFeatures reads the ISO file; absent means nothing supported', async () => {
    await writeFile(join(dir, 'a.iso'), isoWith({}, { features: featuresJson(ALL) }));
    await writeFile(join(dir, 'b.iso'), isoWith());
    expect((await readIsoFeatures(join(dir, 'a.iso'))).liveInitrdNetwork).toBe(true);
    expect(await readIsoFeatures(join(dir, 'b.iso'))).toEqual({ present: false, installerConfig: false, liveInitrdNetwork: false });
  });

  it('item 1: iso customize refuses --dest-* and --network-keyfile with coreos-installer\'s messages when features.json is missing or false', async () => {
    const iso = join(dir, 'x.iso');
    for (const features of [undefined, '{"installer-config": false, "live-initrd-network": false}']) {
      await writeFile(iso, isoWith({}, features === undefined ? {} : { features }));
      const before = await readFile(iso);
      await expect(isoCustomize(iso, { destDevice: '/dev/sda', compression: 'gzip' })).rejects.toThrow('This OS image does not support customizing installer configuration.');
      await expect(isoCustomize(iso, { networkKeyfile: [join(dir, 'eth0.nmconnection')], compression: 'gzip' })).rejects.toThrow('This OS image does not support customizing network settings.');
      expect(await readFile(iso)).toEqual(before);
      // Live configs need no feature.
      await isoCustomize(iso, { liveIgnition: [join(dir, 'live.ign')], compression: 'gzip' });
    }
    // A directive list that lacks one we would write is refused too.
    await writeFile(iso, isoWith({}, { features: featuresJson({ ...ALL, installerConfigDirectives: ['dest-device'] }) }));
    await expect(isoCustomize(iso, { destDevice: '/dev/sda', destKargAppend: ['x'], compression: 'gzip' })).rejects.toThrow(/installer config directive "append-karg"/);
    await isoCustomize(iso, { destDevice: '/dev/sda', compression: 'gzip' });
  });

  it('item 1: featuresFromRootfs derives the flags from the image tree', async () => {
    expect(topLevelYamlKeys('# c\nstream: name\n# x\nimage-url: URL\n  nested: no\ndest-device: /dev/x\n')).toEqual(['stream', 'image-url', 'dest-device']);
    expect(await featuresFromRootfs(join(dir, 'nothing'))).toEqual({ installerConfig: false, installerConfigDirectives: [], liveInitrdNetwork: false });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'root/usr/share/coreos-installer'), { recursive: true });
    await mkdir(join(dir, 'root/usr/lib/dracut/modules.d/35coreos-network'), { recursive: true });
    await writeFile(join(dir, 'root/usr/share/coreos-installer/example-config.yaml'), 'dest-device: /dev/vda\ncopy-network: true\n');
    await writeFile(join(dir, 'root/usr/lib/dracut/modules.d/35coreos-network/coreos-copy-firstboot-network.sh'), '#!/bin/sh\n');
    expect(await featuresFromRootfs(join(dir, 'root'))).toEqual({ installerConfig: true, installerConfigDirectives: ['dest-device', 'copy-network'], liveInitrdNetwork: true });
  });
});

describe('issue14 item 2: network keyfiles in the initrd', () => {
  it('item 2: iso customize puts keyfiles into the area initrd under etc/coreos-firstboot-network/, not the live config; network extract reads them', async () => {
    const iso = join(dir, 'n.iso');
    await writeFile(iso, isoWith({}, { features: featuresJson(ALL) }));
    await isoCustomize(iso, { liveIgnition: [join(dir, 'live.ign')], networkKeyfile: [join(dir, 'eth0.nmconnection')], destDevice: '/dev/vda', compression: 'gzip' });
    const config = (await showIgnition(iso)).toString();
    expect(config).not.toContain('system-connections');
    expect(config).not.toContain(Buffer.from(KEYFILE).toString('base64').slice(0, 20));
    expect([...(await readNetworkKeyfiles(iso))]).toEqual([['eth0.nmconnection', KEYFILE]]);
    // ignition embed -f / remove keep the keyfiles, as coreos-installer's do.
    await embedIgnition(iso, LIVE, { force: true, compression: 'gzip' });
    await removeIgnition(iso);
    expect([...(await readNetworkKeyfiles(iso))]).toEqual([['eth0.nmconnection', KEYFILE]]);
    await expect(showIgnition(iso)).rejects.toThrow(/no embedded Ignition config/);
  });

  it('item 2: pxe customize appends keyfiles under etc/coreos-firstboot-network/ (mode 0600) beside config.ign', async () => {
    const initramfs = gzipSync(writeCpio([{ type: 'file', path: 'etc/coreos-live-initramfs', data: Buffer.from('1') }]));
    await writeFile(join(dir, 'initrd.img'), initramfs);
    const out = join(dir, 'custom.img');
    await pxeCustomize(join(dir, 'initrd.img'), { output: out, liveIgnition: [join(dir, 'live.ign')], networkKeyfile: [join(dir, 'eth0.nmconnection')], compression: 'gzip' });
    const files = await unpackInitrd(await readFile(out));
    expect(files.get('etc/coreos-firstboot-network/eth0.nmconnection')).toEqual(KEYFILE);
    expect(files.get('config.ign')?.toString()).not.toContain('system-connections');
    // The member's mode is 0600 in the appended archive.
    const { readCpio } = await import('../../../src/formats/cpio.js');
    const { gunzipSync } = await import('node:zlib');
    const appended = (await readFile(out)).subarray(Math.ceil(initramfs.length / 4) * 4);
    const m = readCpio(gunzipSync(appended)).members.find((x) => x.path === 'etc/coreos-firstboot-network/eth0.nmconnection');
    expect(m!.mode & 0o777).toBe(0o600);
  });
});

describe('issue14 item 2: iso network embed / extract / remove', () => {
  it('item 2: iso network embed needs live-initrd-network, keeps the config, and the CLI extract prints coreos-installer\'s layout', async () => {
    const { embedNetwork, removeNetwork } = await import('../../../src/live/iso-embed.js');
    const iso = join(dir, 'net.iso');
    await writeFile(iso, isoWith());
    await expect(embedNetwork(iso, [{ name: 'eth0.nmconnection', data: KEYFILE }])).rejects.toThrow('This OS image does not support customizing network settings.');
    await writeFile(iso, isoWith({}, { features: featuresJson(ALL) }));
    await embedIgnition(iso, LIVE, { compression: 'gzip' });
    await embedNetwork(iso, [{ name: '/x/eth0.nmconnection', data: KEYFILE }], { compression: 'gzip' });
    await expect(embedNetwork(iso, [{ name: 'eth1.nmconnection', data: KEYFILE }])).rejects.toThrow(/already has embedded network settings/);
    expect(await showIgnition(iso)).toEqual(LIVE);

    const { Command } = await import('commander');
    const { registerIsoCommands } = await import('../../../src/cli/commands/iso.js');
    const program = new Command().exitOverride();
    registerIsoCommands(program);
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((c: string | Uint8Array, cb?: () => void) => {
      chunks.push(Buffer.from(c).toString());
      if (typeof cb === 'function') cb();
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'day0', 'iso', 'network', 'extract', iso]);
    } finally {
      process.stdout.write = write;
    }
    expect(chunks.join('')).toBe(`########## eth0.nmconnection ##########\n${KEYFILE.toString()}`);
    await program.parseAsync(['node', 'day0', 'iso', 'network', 'extract', '-C', join(dir, 'nm'), iso]).catch(() => undefined);
    expect(await readFile(join(dir, 'nm', 'eth0.nmconnection'))).toEqual(KEYFILE);
    expect((await stat(join(dir, 'nm', 'eth0.nmconnection'))).mode & 0o777).toBe(0o600);

    await removeNetwork(iso);
    expect((await readNetworkKeyfiles(iso)).size).toBe(0);
    expect(await showIgnition(iso)).toEqual(LIVE);
  });
});

describe('issue14 item 3: iso extract pxe and minimal-iso', () => {
  it('item 3: iso extract pxe writes <stem>-vmlinuz, -initrd.img, -rootfs.img with the ISO\'s bytes', async () => {
    const kernel = Buffer.alloc(5000, 'k');
    const initrd = Buffer.alloc(3000, 'i');
    const rootfs = Buffer.alloc(9000, 'r');
    const iso = join(dir, 'demo-live.x86_64.iso');
    await writeFile(iso, isoWith({ 'images/pxeboot/vmlinuz': kernel, 'images/pxeboot/initrd.img': initrd, 'images/pxeboot/rootfs.img': rootfs }));
    const out = join(dir, 'out');
    const written = await extractPxe(iso, out);
    expect(written.map((p) => p.slice(out.length + 1)).sort()).toEqual(['demo-live.x86_64-initrd.img', 'demo-live.x86_64-rootfs.img', 'demo-live.x86_64-vmlinuz']);
    expect(await readFile(join(out, 'demo-live.x86_64-vmlinuz'))).toEqual(kernel);
    expect(await readFile(join(out, 'demo-live.x86_64-initrd.img'))).toEqual(initrd);
    expect(await readFile(join(out, 'demo-live.x86_64-rootfs.img'))).toEqual(rootfs);
    expect(pxeOutputName('/x/fcos-live.iso', 'VMLINUZ.;1')).toBe('fcos-live-vmlinuz');
    // Item 4 for this verb too: existing files are refused unless forced.
    await expect(extractPxe(iso, out)).rejects.toThrow(/File exists/);
    await extractPxe(iso, out, { force: true });
  });

  it('item 3: miniso.dat bytes are bincode 1 varint, little endian, as coreos-installer reads them', () => {
    const digest = Buffer.alloc(32, 0xab);
    const bytes = encodeMiniso({ appVersion: '0.1.0', entries: [{ minimal: 20, full: 300, length: 70000 }], digest, xzpacked: Buffer.from([1, 2, 3]) });
    expect(bytes).toEqual(Buffer.concat([
      Buffer.from('MINISO\0\0', 'latin1'), Buffer.from([1, 5]), Buffer.from('0.1.0'),
      Buffer.from([1, 20, 251, 0x2c, 0x01, 252, 0x70, 0x11, 0x01, 0x00]), digest, Buffer.from([3, 1, 2, 3]),
    ]));
    // Trailing zeros (a preallocated file) are ignored; a bad magic or version is refused.
    expect(decodeMiniso(Buffer.concat([bytes, Buffer.alloc(4096)]))).toEqual({ appVersion: '0.1.0', entries: [{ minimal: 20, full: 300, length: 70000 }], digest, xzpacked: Buffer.from([1, 2, 3]) });
    expect(() => decodeMiniso(Buffer.from('NOTMINI\0\x01'))).toThrow(/bad magic/);
    const v2 = Buffer.from(bytes);
    v2[8] = 2;
    expect(() => decodeMiniso(v2)).toThrow(/incompatible miniso file version 2/);
    expect(() => encodeMiniso({ appVersion: '', entries: [{ minimal: 1, full: 1, length: 4096 }, { minimal: 2, full: 9, length: 1 }], digest, xzpacked: Buffer.alloc(0) })).toThrow(/overlap/);
  });

  it('item 3: a minimal ISO packed into miniso.dat is rebuilt byte for byte, then extract minimal-iso drops coreos.liveiso=', async () => {
    const kernel = Buffer.alloc(40_000, 'k');
    const rootfs = Buffer.alloc(100_000, 'r');
    const common = { 'images/pxeboot/vmlinuz': kernel, 'images/pxeboot/initrd.img': Buffer.alloc(20_000, 'i') };
    const minimalIso = isoWith(common);
    const fullIsoZeroed = isoWith({ ...common, 'images/pxeboot/rootfs.img': rootfs, 'coreos/miniso.dat': Buffer.alloc(64 * 1024) });
    const full = await Iso9660.open(bufferSource(fullIsoZeroed));
    const minimal = await Iso9660.open(bufferSource(minimalIso));
    const entries = minisoTable(await full.walkFiles(), await minimal.walkFiles());
    expect(entries.some((e) => e.length === kernel.length)).toBe(true);
    const dat = await packMiniso(bufferSource(minimalIso), entries, (b) => compress(b, 'xz'), 'day0-test');
    // Rebuild directly from the data: exactly the minimal ISO.
    const parts: Buffer[] = [];
    const data = decodeMiniso(dat);
    const { decompress } = await import('../../../src/formats/compress.js');
    await unpackMiniso(data, await decompress(data.xzpacked, 'xz'), bufferSource(fullIsoZeroed), async (c) => void parts.push(Buffer.from(c)));
    expect(Buffer.concat(parts).equals(minimalIso)).toBe(true);

    // Write it into the full ISO's coreos/miniso.dat and extract through the verb.
    const fullIso = Buffer.from(fullIsoZeroed);
    const datFile = (await full.findFile('COREOS/MINISO.DAT'))!;
    dat.copy(fullIso, datFile.offset);
    await writeFile(join(dir, 'full.iso'), fullIso);
    const out = join(dir, 'minimal.iso');
    await extractMinimalIso(join(dir, 'full.iso'), out, { rootfsUrl: 'http://x/rootfs.img', outputRootfs: join(dir, 'rootfs.img') });
    expect(await readFile(join(dir, 'rootfs.img'))).toEqual(rootfs);
    const withoutLiveiso = DEFAULT_KARGS.split(' ').filter((k) => !k.startsWith('coreos.liveiso=')).join(' ');
    expect(await showKargs(out)).toBe(`${withoutLiveiso} coreos.live.rootfs_url=http://x/rootfs.img`);
    expect(await showKargs(out, { default: true })).toBe(withoutLiveiso);
    await expect(extractMinimalIso(join(dir, 'full.iso'), out)).rejects.toThrow(/File exists/);
    // A customized full ISO is refused; an ISO without miniso.dat says so as coreos-installer does.
    await modifyKargs(join(dir, 'full.iso'), { append: ['x'] });
    await expect(extractMinimalIso(join(dir, 'full.iso'), join(dir, 'm2.iso'))).rejects.toThrow(/embedded customizations/);
    await writeFile(join(dir, 'plain.iso'), minimalIso);
    await expect(extractMinimalIso(join(dir, 'plain.iso'), join(dir, 'm3.iso'))).rejects.toThrow('This ISO image does not support extracting a minimal ISO.');
  });
});

describe('issue14 item 4: -o onto an existing file', () => {
  it('item 4: every -o verb refuses an existing output ("File exists") unless forced, and leaves it untouched', async () => {
    const iso = join(dir, 'in.iso');
    await writeFile(iso, isoWith({}, { features: featuresJson(ALL) }));
    const out = join(dir, 'exists');
    await writeFile(out, 'keep me');
    const kept = async (): Promise<void> => expect(await readFile(out, 'utf8')).toBe('keep me');
    await expect(embedIgnition(iso, LIVE, { output: out })).rejects.toThrow(`${out}: File exists`);
    await kept();
    await expect(removeIgnition(iso, { output: out })).rejects.toThrow(/File exists/);
    await expect(modifyKargs(iso, { append: ['a'] }, { output: out })).rejects.toThrow(/File exists/);
    await expect(resetKargs(iso, { output: out })).rejects.toThrow(/File exists/);
    await expect(isoCustomize(iso, { liveIgnition: [join(dir, 'live.ign')], output: out })).rejects.toThrow(/File exists/);
    const initramfs = gzipSync(writeCpio([{ type: 'file', path: 'etc/coreos-live-initramfs', data: Buffer.from('1') }]));
    await writeFile(join(dir, 'initrd.img'), initramfs);
    await expect(pxeCustomize(join(dir, 'initrd.img'), { output: out, liveIgnition: [join(dir, 'live.ign')] })).rejects.toThrow(/File exists/);
    await expect(writeOutputAtomically(out, 0o600, (fh) => writePatches(fh, [{ offset: 0, data: Buffer.from('x') }]))).rejects.toThrow(/File exists/);
    await kept();
    // Forced: replaced.
    await embedIgnition(iso, LIVE, { output: out, overwrite: true, compression: 'gzip' });
    expect(await showIgnition(out)).toEqual(LIVE);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    await pxeCustomize(join(dir, 'initrd.img'), { output: out, liveIgnition: [join(dir, 'live.ign')], force: true, compression: 'gzip' });
    await isoCustomize(iso, { liveIgnition: [join(dir, 'live.ign')], output: out, force: true, compression: 'gzip' });
    expect(await showIgnition(out)).toEqual(LIVE);
    // No temporary file is left behind.
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});
