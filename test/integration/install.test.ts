// Install media that install, end to end through the CLI (kola's iso-install and metal4k install): an ISO built
// with --dest-device/--dest-ignition boots with a blank target disk, the demo OS's installer (coreos-installer's
// contract) writes the config-free metal image and the destination config, and the target disk then boots alone
// with that config applied. An image without an installer is refused before anything is built.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { day0, DAY0, DEMO, requireDemoWorld, ROOT } from '../helpers/demo-world.js';

const work = mkdtempSync(join(tmpdir(), 'day0-install-test-'));
const out = join(work, 'out');

interface Result { medium: string; verdict: string; reason?: string; seconds: number; consoleLog: string; lastLines?: string[]; install?: { seconds: number; consoleLog: string; liveMarker: boolean }; tcgKargs?: string[] }

beforeAll(requireDemoWorld);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('day0 build -f iso --dest-device /dev/vda --dest-ignition … --check-boot', () => {
  let res: ReturnType<typeof day0>;
  let build: { builds: { x86_64: { install: Record<string, unknown> } }; checkBoot: { results: Result[] } };
  let results: Result[];
  const iso = join(out, 'x86_64', 'demo-layered-live.x86_64.iso');

  beforeAll(() => {
    res = day0(['build', DEMO, '--tls-verify=false', '-i', join(ROOT, 'hack/demo/config.ign'), '-f', 'iso,pxe', '-o', out,
      '--dest-device', '/dev/vda', '--dest-ignition', join(ROOT, 'hack/demo/install.ign'), '--pxe-url', 'http://192.0.2.1/x86_64/',
      '--check-boot', '--progress', 'plain',
      '--expect-file', '/etc/ipsec.d/my-host-to-host.conf', '--expect-unit', 'hello-day0.service']);
    build = JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as typeof build;
    results = build.checkBoot.results;
  }, 60 * 60_000);

  it('passes the install cells: the ISO under BIOS and UEFI onto a 512-byte disk, onto a 4k disk, and the PXE set', () => {
    for (const r of results) if (r.verdict !== 'pass') console.error(r.medium, r.reason, r.lastLines?.join('\n'));
    expect(Object.fromEntries(results.map((r) => [r.medium, r.verdict]))).toEqual({
      'iso-install-bios': 'pass', 'iso-install-uefi': 'pass', 'metal4k-install': 'pass', 'pxe-install': 'pass',
    });
    for (const r of results) expect(r.install, r.medium).toBeDefined();
    expect(results.map((r) => (r as { firmware?: string }).firmware)).toEqual(['bios', 'uefi', 'uefi', 'bios']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('4/4 media booted with Ignition applied');
  });

  it('the live boot ran the installer with the live config applied; the target then booted alone with the destination config', () => {
    for (const r of results) {
      const live = readFileSync(r.install!.consoleLog, 'utf8');
      expect(r.install!.liveMarker, r.medium).toBe(true);
      // ISO: the installer config in the live config; PXE: the coreos.inst.* arguments.
      expect(live, r.medium).toContain(r.medium === 'pxe-install' ? 'coreos.inst.install_dev=/dev/vda' : 'reading /etc/coreos/installer.d/0001-day0.yaml');
      expect(live, r.medium).toContain('Install complete.');
      const target = readFileSync(r.consoleLog, 'utf8');
      // The installed system boots from its disk (no live ISO): root by label, the metal platform, first boot.
      const cmdline = /Command line: (.*)/.exec(target)![1]!.trim().split(/\s+/);
      expect(cmdline, r.medium).toContain('root=LABEL=root');
      expect(cmdline, r.medium).toContain('ignition.firstboot');
      expect(cmdline.some((a) => a.startsWith('coreos.liveiso=')), r.medium).toBe(false);
      // The TCG args went in through the installer's append-karg: coreos-installer's path into the BLS entry.
      for (const k of r.tcgKargs ?? []) expect(cmdline, r.medium).toContain(k);
      expect(target, r.medium).toMatch(/using the Ignition config from the boot partition/);
      expect(target, r.medium).toMatch(/DAY0-BOOT-CHECK [0-9a-f]{16} OK/);
    }
  });

  it('the PXE configs carry coreos-installer\'s coreos.inst.* arguments pointing under --pxe-url, the files they name beside them', () => {
    const dir = join(out, 'x86_64');
    const base = 'http://192.0.2.1/x86_64/';
    for (const f of ['demo-layered-live.x86_64.ipxe', 'demo-layered-live-pxelinux.x86_64.cfg', 'demo-layered-live-grub.x86_64.cfg']) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text, f).toContain(`coreos.inst.install_dev=/dev/vda coreos.inst.image_url=${base}demo-layered-install-metal.x86_64.raw.gz coreos.inst.ignition_url=${base}demo-layered-install.x86_64.ign coreos.inst.insecure`);
    }
    expect(statSync(join(dir, 'demo-layered-install.x86_64.ign')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'demo-layered-install.x86_64.ign'))).toEqual(readFileSync(join(ROOT, 'hack/demo/install.ign')));
    expect(statSync(join(dir, 'demo-layered-install-metal.x86_64.raw.gz')).size).toBeGreaterThan(50 * 2 ** 20);
  });

  it('build.json records the target, the image it installs and where each config goes, never a config', () => {
    const rec = build.builds.x86_64.install as { destDevice: string; image: { digest: string }; images: { path: string; sectorSize: number; bytes: number; sha256: string; compressedBytes: number }[]; configs: Record<string, string> };
    expect(rec.destDevice).toBe('/dev/vda');
    expect(rec.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rec.images.map((i) => [i.path, i.sectorSize])).toEqual([['images/install/metal.raw.gz', 512], ['images/install/metal4k.raw.gz', 4096]]);
    for (const i of rec.images) {
      expect(i.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(i.compressedBytes).toBeLessThan(i.bytes);
    }
    expect(rec.configs.dest).toContain('ignition/config.ign');
    const text = readFileSync(join(out, 'build.json'), 'utf8');
    expect(text).not.toContain('Installed by day0');
    expect(text).not.toContain('ssh-ed25519');
  });

  it('the ISO carries coreos-installer\'s installer config and the destination config in its live config; the shipped ISO is unchanged by the check', () => {
    const shown = JSON.parse(execFileSync('node', [DAY0, 'iso', 'ignition', 'show', iso], { encoding: 'utf8' })) as { storage: { files: { path: string; contents: { source: string } }[] } };
    const paths = shown.storage.files.map((f) => f.path);
    expect(paths).toEqual(['/etc/coreos/dest.ign', '/etc/coreos/installer.d/0001-day0.yaml']);
    const yaml = gunzipSync(Buffer.from(shown.storage.files[1]!.contents.source.replace(/^data:;base64,/, ''), 'base64')).toString('utf8');
    expect(yaml).toContain('dest-device: "/dev/vda"\nignition-file: "/etc/coreos/dest.ign"\n');
    expect(JSON.stringify(shown)).not.toContain('day0-check');
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    expect(execFileSync('sha256sum', ['-c', '--quiet', '-'], { cwd: out, input: sums, encoding: 'utf8' })).toBe('');
    console.log(`install ISO: ${(statSync(iso).size / 2 ** 20).toFixed(0)} MiB`);
  });
});

describe('an image without an installer', () => {
  it('is refused with --dest-device before anything is built, and nothing is published', () => {
    const dir = join(work, 'noinst');
    const r = day0(['build', 'containers-storage:localhost/day0/demo-rootfs:latest', '-f', 'iso', '--dest-device', '/dev/vda', '-o', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/has no installer: it carries no usr\/share\/coreos-installer\/example-config.yaml/);
    expect(r.stderr).toMatch(/fix: /);
    expect(existsSync(join(dir, 'x86_64')) ? readdirSync(join(dir, 'x86_64')) : []).toEqual([]);
  });

  it('--dest-ignition without --dest-device, or without an ISO, is refused before the image is pulled', () => {
    const a = day0(['build', 'localhost:5000/day0/no-such-image:latest', '--tls-verify=false', '-f', 'iso', '--dest-ignition', join(ROOT, 'hack/demo/install.ign'), '-o', join(work, 'x')]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('needs --dest-device');
    const b = day0(['build', 'localhost:5000/day0/no-such-image:latest', '--tls-verify=false', '-f', 'metal', '--dest-device', '/dev/vda', '-o', join(work, 'y')]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('neither is built');
  });
});
