// IBM Z boot images (src/s390x/cdboot.ts, cdboot-image.ts) on their bytes, and coreos-installer's embed areas
// inside cdboot.img: `iso ignition embed|show` and `iso kargs modify|show` on an s390x ISO laid out by the plan.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackIgnitionInitrd } from '../../../src/formats/ignition-initrd.js';
import { embedIgnition, modifyKargs, readIsoEmbedInfo, showIgnition, showKargs } from '../../../src/live/iso-embed.js';
import { ISO_PATHS } from '../../../src/media/iso-layout.js';
import { planIso, type IsoPlan } from '../../../src/media/iso-plan.js';
import { liveKargs } from '../../../src/media/kargs.js';
import {
  CDBOOT_CMDLINE_SIZE, CDBOOT_MIN_INITRD_OFFSET, checkS390Kernel, genericIns, initrdAddrsize, INS_INITRD_ADDRESS, kargsFromParmfile,
  parmfile, planCdboot, readCdbootParm, S390_ISO_PATHS, S390_PARM,
} from '../../../src/s390x/cdboot.js';
import { writeCdbootImage } from '../../../src/s390x/cdboot-image.js';
import { level1Path } from '../../helpers/coreos-iso.js';
import { writeIso } from '../../helpers/iso9660-writer.js';
import { profile } from '../../helpers/profiles.js';

const p = profile('s390x');
const LABEL = 'day0-0123456789ab';

/** A stand-in s390 kernel image: "S390EP" at 0x10008, a default command line, recognisable bytes elsewhere. */
function fakeKernel(size = 0x12344): Buffer {
  const k = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) k.writeUInt32BE(0xa7f40000 + (i & 0xffff), i);
  k.fill(0, S390_PARM.initrdStart, S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE);
  k.write('S390EP', S390_PARM.entryMagic, 'latin1');
  k.write('root=/dev/ram0 ro', S390_PARM.commandLine, 'latin1');
  return k;
}

describe('cdboot.img layout', () => {
  it('the initrd starts at 8 MiB, or on the first 4 KiB boundary after a larger kernel', () => {
    expect(planCdboot({ kernelSize: 5_066_752, initramfsSize: 100, ignitionAreaSize: 262144 }).initrdOffset).toBe(CDBOOT_MIN_INITRD_OFFSET);
    expect(planCdboot({ kernelSize: 9_000_001, initramfsSize: 100, ignitionAreaSize: 262144 }).initrdOffset).toBe(9_003_008);
  });

  it('the Ignition area is the last bytes of the file, 4 KiB-aligned after the initramfs, inside the initrd', () => {
    const l = planCdboot({ kernelSize: 5_066_752, initramfsSize: 40_000_123, ignitionAreaSize: 262144 });
    expect(l.ignitionOffset % 4096).toBe(0);
    expect(l.ignitionOffset).toBeGreaterThanOrEqual(l.initrdOffset + 40_000_123);
    expect(l.ignitionOffset - (l.initrdOffset + 40_000_123)).toBeLessThan(4096);
    expect(l.totalSize).toBe(l.ignitionOffset + 262144);
    expect(l.initrdOffset + l.initrdSize).toBe(l.totalSize);
  });

  it('refuses a file too small to hold the parameter area, and a non-s390 kernel', () => {
    expect(() => planCdboot({ kernelSize: 0x10000, initramfsSize: 1, ignitionAreaSize: 512 })).toThrow(/too small to be an s390 IPL image/);
    const notS390 = fakeKernel();
    notS390.write('MZ\0\0\0\0', S390_PARM.entryMagic, 'latin1');
    expect(() => checkS390Kernel(notS390)).toThrow(/not an s390 IPL image.*S390EP/);
    expect(() => checkS390Kernel(fakeKernel())).not.toThrow();
  });

  it('initrd.addrsize: load address and size as big-endian u64s', () => {
    expect(initrdAddrsize(0x1234567).toString('hex')).toBe('0000000002000000' + '0000000001234567');
    expect(INS_INITRD_ADDRESS).toBe(0x02000000);
  });

  it('parmfile: lines of at most 80 columns that read back as the same arguments', () => {
    const kargs = `${'a'.repeat(30)} ${'b'.repeat(30)} ${'c'.repeat(30)} coreos.liveiso=${LABEL} ignition.firstboot ${'d'.repeat(90)} x=1`;
    const text = parmfile(kargs);
    const lines = text.split('\n').slice(0, -1);
    for (const l of lines) if (!l.startsWith('d')) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines.length).toBeGreaterThan(2);
    expect(text.endsWith('\n')).toBe(true);
    expect(kargsFromParmfile(text)).toBe(kargs);
  });

  it('generic.ins: kernel at 0, initrd at 0x02000000, parmfile at the command line, addrsize at the initrd fields', () => {
    const ins = genericIns({ title: 't', kernel: 'images/pxeboot/vmlinuz', initrd: 'images/pxeboot/initrd.img', parmfile: 'images/cdboot.prm', addrsize: 'images/initrd.addrsize' });
    expect(ins.split('\n').filter((l) => l && !l.startsWith('*'))).toEqual([
      'images/pxeboot/vmlinuz 0x00000000', 'images/pxeboot/initrd.img 0x02000000', 'images/cdboot.prm 0x00010480', 'images/initrd.addrsize 0x00010408',
    ]);
  });
});

describe('s390x ISO with cdboot.img', () => {
  let dir: string;
  let plan: IsoPlan;
  let iso: string;
  const kernel = fakeKernel();
  const initramfs = Buffer.alloc(70_001, 0x5a);
  const kargs = liveKargs(p, { isoLabel: LABEL });
  let cdboot: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'day0-cdboot-'));
    await writeFile(join(dir, 'vmlinuz'), kernel);
    await writeFile(join(dir, 'initramfs.img'), initramfs);
    plan = planIso({
      profile: p, kernel: join(dir, 'vmlinuz'), initramfs: join(dir, 'initramfs.img'), rootfsCpio: join(dir, 'rootfs.img'),
      volumeLabel: LABEL, kargs, ignitionAreaSize: p.live.ignition_area_size, sizes: { kernel: kernel.length, initramfs: initramfs.length },
    });
    const src = plan.tree.find((e) => e.path === S390_ISO_PATHS.cdboot)!.source;
    if (src.kind !== 'cdboot') throw new Error('cdboot.img is not planned as a cdboot image');
    await writeCdbootImage(join(dir, 'cdboot.img'), src);
    cdboot = await readFile(join(dir, 'cdboot.img'));
    const text = (path: string) => { const e = plan.tree.find((x) => x.path === path)!.source; if (e.kind !== 'text') throw new Error(path); return Buffer.from(e.text); };
    const files = [
      { path: level1Path(ISO_PATHS.igninfo), data: text(ISO_PATHS.igninfo) },
      { path: level1Path(ISO_PATHS.kargs), data: text(ISO_PATHS.kargs) },
      { path: level1Path(S390_ISO_PATHS.cdboot), data: cdboot },
    ];
    iso = join(dir, 'live.iso');
    await writeFile(iso, writeIso({ volumeId: LABEL, files }).image);
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('cdboot.img: the kernel with its parameter area set, the initramfs at its offset, zeros to the end', () => {
    const l = (plan.tree.find((e) => e.path === S390_ISO_PATHS.cdboot)!.source as { layout: ReturnType<typeof planCdboot> }).layout;
    expect(cdboot.length).toBe(l.totalSize);
    const parm = readCdbootParm(cdboot);
    expect(parm).toEqual({ initrdStart: l.initrdOffset, initrdSize: l.initrdSize, commandLine: kargs });
    // the command-line area: kargs, then NULs to its end (the kernel's default line is gone)
    expect(cdboot.subarray(S390_PARM.commandLine + kargs.length, S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE).every((b) => b === 0)).toBe(true);
    // everything else of the kernel is untouched
    expect(cdboot.subarray(0, S390_PARM.initrdStart)).toEqual(kernel.subarray(0, S390_PARM.initrdStart));
    expect(cdboot.subarray(S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE, kernel.length)).toEqual(kernel.subarray(S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE));
    expect(cdboot.subarray(kernel.length, l.initrdOffset).every((b) => b === 0)).toBe(true);
    expect(cdboot.subarray(l.initrdOffset, l.initrdOffset + initramfs.length)).toEqual(initramfs);
    expect(cdboot.subarray(l.initrdOffset + initramfs.length).every((b) => b === 0)).toBe(true);
  });

  it('igninfo.json and kargs.json point into cdboot.img: the Ignition area at the initrd end, kargs at 0x10480', async () => {
    const info = await readIsoEmbedInfo(iso);
    expect(info.ignition).toMatchObject({ file: S390_ISO_PATHS.cdboot, length: p.live.ignition_area_size, empty: true });
    expect(info.kargs?.areas.map((a) => ({ path: a.path, pad: a.pad, end: a.end, length: a.length }))).toEqual([
      { path: S390_ISO_PATHS.cdboot, pad: '\0', end: '\0', length: CDBOOT_CMDLINE_SIZE },
    ]);
    expect(info.kargs?.current).toBe(kargs);
    expect(await showKargs(iso)).toBe(kargs);
  });

  it('iso ignition embed/show write and read the area inside cdboot.img, and nothing else changes', async () => {
    const before = await readFile(iso);
    const config = Buffer.from('{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/z","contents":{"source":"data:,z"}}]}}\n');
    await embedIgnition(iso, config, { force: true });
    const after = await readFile(iso);
    const info = await readIsoEmbedInfo(iso);
    const area = { offset: info.ignition.offset, length: info.ignition.length };
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) { expect(i >= area.offset && i < area.offset + area.length).toBe(true); }
    expect((await showIgnition(iso))?.toString()).toBe(config.toString());
    // the kernel would find it: the area lies inside the initrd the parameter area names
    const cdStart = info.ignition.offset - (plan.embed.ignition.offset);
    const parm = readCdbootParm(after.subarray(cdStart, cdStart + S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE));
    expect(plan.embed.ignition.offset).toBeGreaterThanOrEqual(parm.initrdStart);
    expect(plan.embed.ignition.offset + plan.embed.ignition.size).toBe(parm.initrdStart + parm.initrdSize);
    expect((await unpackIgnitionInitrd(after.subarray(area.offset, area.offset + area.length)))?.toString()).toBe(config.toString());
  });

  it('iso kargs modify/show rewrite the NUL-padded command line the kernel reads at 0x10480', async () => {
    await modifyKargs(iso, { append: ['rd.zfcp=0.0.fc00,0x5105074308c212e9,0x401040a000000000'], delete: ['ignition.firstboot'] });
    const want = `${kargs.replace(' ignition.firstboot', '')} rd.zfcp=0.0.fc00,0x5105074308c212e9,0x401040a000000000`;
    expect(await showKargs(iso)).toBe(want);
    const info = await readIsoEmbedInfo(iso);
    const a = info.kargs!.areas[0]!;
    const bytes = (await readFile(iso)).subarray(a.offset, a.offset + a.length);
    expect(bytes.subarray(0, want.length).toString()).toBe(want);
    expect(bytes.subarray(want.length).every((b) => b === 0)).toBe(true);
    await expect(modifyKargs(iso, { append: ['x'.repeat(CDBOOT_CMDLINE_SIZE)] })).rejects.toThrow(/too long/);
    expect(await showKargs(iso)).toBe(want);
  });
});
