import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chooseKernel,
  findIgnitionInCpioStream,
  findKernels,
  ignitionVersionFromBinary,
  parseOsRelease,
  probeIgnition,
  readOsRelease,
  resolveInRoot,
} from '../../../src/image/bootable.js';
import type { Executor } from '../../../src/executor/types.js';
import { maxSpecForIgnition } from '../../../src/image/intake.js';
import { cpio } from '../../helpers/cpio.js';


const stamp = (v: string) => Buffer.concat([Buffer.from('\x7fELF junk call frame too large\0\0\0'), Buffer.from(v), Buffer.from('\0\0\0 more')]);

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'day0-boot-test-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const noExec: { exec: Executor } = {
  exec: {
    mode: 'host',
    run: () => {
      throw new Error('must not run anything');
    },
    describe: () => 'none',
  },
};

describe('Ignition version → highest spec (through src/ignition/spec-check.ts)', () => {
  it.each([
    ['2.0.0', '3.0.0'], ['2.2.1', '3.0.0'], ['2.3.0', '3.1.0'], ['2.6.0', '3.1.0'], ['2.7.0', '3.2.0'], ['2.10.1', '3.2.0'],
    ['2.11.0', '3.3.0'], ['2.14.0', '3.3.0'], ['2.15.0', '3.4.0'], ['2.19.0', '3.4.0'], ['v2.20.0', '3.5.0'],
    ['2.25.1', '3.5.0'], ['2.26.0', '3.6.0'], ['3.0.0', '3.6.0'],
  ])('%s → %s', (v, spec) => expect(maxSpecForIgnition(v)).toBe(spec));
  it('has no spec-3 answer before 2.0 or for garbage', () => {
    expect(maxSpecForIgnition('0.35.0')).toBeUndefined();
    expect(maxSpecForIgnition('abc')).toBeUndefined();
  });
});

describe('version stamped into the binary', () => {
  it('finds Debian, upstream and Fedora stamps', () => {
    expect(ignitionVersionFromBinary(stamp('Debian 2.14.0+ds1-1+b6'))).toEqual({ version: '2.14.0', raw: 'Debian 2.14.0+ds1-1+b6' });
    expect(ignitionVersionFromBinary(stamp('v2.19.0'))).toEqual({ version: '2.19.0', raw: 'v2.19.0' });
    expect(ignitionVersionFromBinary(stamp('2.21.0'))).toEqual({ version: '2.21.0', raw: '2.21.0' });
  });
  it('finds a stamp in a big-endian binary, where a length byte (not a NUL) comes right before it (s390x)', () => {
    // As in Debian's s390x ignition: …00 00 00 18 "Debian 2.14.0+ds1-1+b6" 00 00…
    const be = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x18]), Buffer.from('Debian 2.14.0+ds1-1+b6'), Buffer.alloc(10)]);
    expect(ignitionVersionFromBinary(be)).toEqual({ version: '2.14.0', raw: 'Debian 2.14.0+ds1-1+b6' });
  });
  it('takes no version out of longer printable runs (OIDs, other version strings)', () => {
    expect(ignitionVersionFromBinary(Buffer.from('\x012.5.4.3\x01go1.19.8\x01release 2.14.0-x\x01')).version).toBeUndefined();
  });
  it('says so when there is none or it is ambiguous', () => {
    expect(ignitionVersionFromBinary(Buffer.from('nothing here 2.1 v2')).version).toBeUndefined();
    const two = Buffer.concat([stamp('v2.19.0'), stamp('v2.20.0')]);
    expect(ignitionVersionFromBinary(two).note).toMatch(/several/);
  });
});

describe('initramfs reading', () => {
  it('finds usr/bin/ignition in a cpio stream, after other archives and padding', async () => {
    const a = cpio([{ name: 'etc', mode: 0o40755 }, { name: 'etc/x', data: 'abc' }]);
    const b = cpio([{ name: 'usr/bin/ignition', data: stamp('v2.15.0') }]);
    const stream = Readable.from([Buffer.concat([a, Buffer.alloc(512), b]).subarray(0, 100), Buffer.concat([a, Buffer.alloc(512), b]).subarray(100)]);
    const bin = await findIgnitionInCpioStream(stream);
    expect(ignitionVersionFromBinary(bin!).version).toBe('2.15.0');
  });

  it('reads gzip initramfs with an uncompressed early-microcode cpio in front, in-process', async () => {
    const d = tmp();
    const early = cpio([{ name: 'kernel/x86/microcode/GenuineIntel.bin', data: Buffer.alloc(1000, 7) }]);
    const main = gzipSync(cpio([{ name: 'usr', mode: 0o40755 }, { name: 'usr/bin/ignition', data: stamp('Debian 2.14.0+ds1-1+b6') }]));
    writeFileSync(join(d, 'initramfs.img'), Buffer.concat([early, Buffer.alloc(16), main]));
    expect(await probeIgnition(noExec, join(d, 'initramfs.img'))).toEqual({ version: '2.14.0', raw: 'Debian 2.14.0+ds1-1+b6' });
    writeFileSync(join(d, 'plain.img'), cpio([{ name: './usr/bin/ignition', data: stamp('v2.20.0') }]));
    expect((await probeIgnition(noExec, join(d, 'plain.img'))).version).toBe('2.20.0');
    writeFileSync(join(d, 'none.img'), gzipSync(cpio([{ name: 'usr/bin/sh', data: 'x' }])));
    expect((await probeIgnition(noExec, join(d, 'none.img'))).note).toMatch(/no usr\/bin\/ignition/);
    writeFileSync(join(d, 'lz4.img'), Buffer.from([0x02, 0x21, 0x4c, 0x18, 1, 2, 3]));
    expect((await probeIgnition(noExec, join(d, 'lz4.img'))).note).toMatch(/lz4/);
  });
});

describe('paths inside an untrusted root', () => {
  it('resolves symlinks as a chroot would: absolute links and .. stay inside', () => {
    const root = tmp();
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/os-release'), 'ID=x\n');
    mkdirSync(join(root, 'etc'));
    symlinkSync('../usr/lib/os-release', join(root, 'etc/os-release'));
    symlinkSync('/usr/lib', join(root, 'abs'));
    symlinkSync('../../../../../../etc', join(root, 'up'));
    symlinkSync('/etc/passwd', join(root, 'etc/passwd-link'));
    symlinkSync('loop2', join(root, 'loop1'));
    symlinkSync('loop1', join(root, 'loop2'));
    expect(resolveInRoot(root, '/etc/os-release')).toBe(join(root, 'usr/lib/os-release'));
    expect(resolveInRoot(root, '/abs/os-release')).toBe(join(root, 'usr/lib/os-release'));
    expect(resolveInRoot(root, '/up/os-release')).toBe(join(root, 'usr/lib/os-release'));
    // The host's /etc/passwd is never reached: inside the root it does not exist.
    expect(resolveInRoot(root, '/etc/passwd-link')).toBeUndefined();
    expect(resolveInRoot(root, '/../../etc/os-release')).toBe(join(root, 'usr/lib/os-release'));
    expect(resolveInRoot(root, '/loop1')).toBeUndefined();
    expect(resolveInRoot(root, '/usr/lib/os-release/x')).toBeUndefined();
  });

  it('reads os-release through /etc then /usr/lib, with quoting', async () => {
    const root = tmp();
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/os-release'), 'NAME="Fedora \\"CoreOS\\""\nVERSION_ID=40\n# c\nPRETTY_NAME=\'F C\'\n');
    expect(await readOsRelease(root)).toEqual({ NAME: 'Fedora "CoreOS"', VERSION_ID: '40', PRETTY_NAME: 'F C' });
    expect(parseOsRelease('ID=fedora\nbad line\n')).toEqual({ ID: 'fedora' });
  });
});

describe('boot contract', () => {
  function image(kernels: Record<string, boolean>): string {
    const root = tmp();
    for (const [kver, withInitramfs] of Object.entries(kernels)) {
      const d = join(root, 'usr/lib/modules', kver);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'vmlinuz'), 'k');
      if (withInitramfs) writeFileSync(join(d, 'initramfs.img'), 'i');
    }
    mkdirSync(join(root, 'usr/lib/modules/extra-dir-without-kernel'), { recursive: true });
    return root;
  }

  it('one kernel: taken', () => {
    const k = chooseKernel(findKernels(image({ '6.1.0': true })), undefined, 'img');
    expect(k.version).toBe('6.1.0');
    expect(k.initramfsSize).toBe(1);
  });
  it('none: "not a bootable OS image" with a fix', () => {
    expect(() => chooseKernel(findKernels(tmp()), undefined, 'img')).toThrow(/^not a bootable OS image: img has no kernel/);
    expect(() => chooseKernel(findKernels(image({ '6.1.0': false })), undefined, 'img')).toThrow(/not a bootable OS image: .*no initramfs\.img/);
  });
  it('several: refused naming them, unless --kernel picks one', () => {
    const scan = findKernels(image({ '6.10.0': true, '6.9.0': true }));
    expect(scan.kernels.map((k) => k.version)).toEqual(['6.9.0', '6.10.0']);
    expect(() => chooseKernel(scan, undefined, 'img')).toThrow('img has several kernels: 6.9.0, 6.10.0');
    expect(chooseKernel(scan, '6.9.0', 'img').version).toBe('6.9.0');
    expect(() => chooseKernel(scan, '5.0', 'img')).toThrow(/has no kernel 5\.0; it has: 6\.9\.0, 6\.10\.0/);
  });
});
