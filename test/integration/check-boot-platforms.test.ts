// Proof of boot on every other platform that has a profile (the host's own is covered by check-boot.test.ts):
// `day0 build --arch <arch> --check-boot` on the demo layered image's manifest for that arch, every medium, each
// cell with the marker unit, the layered file and the user's unit, under QEMU for that arch (TCG).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedDiskFormats } from '../../src/manifest/disk.js';
import { bootModes } from '../../src/profiles/boot.js';
import { loadProfile } from '../../src/profiles/load.js';
import { hostArch, knownArches } from '../../src/profiles/platforms.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DAY0 = join(ROOT, 'bin', 'day0.js');
const DEMO = 'localhost:5000/day0/demo-layered:latest';
const work = mkdtempSync(join(tmpdir(), 'day0-platforms-test-'));
const foreign = knownArches().filter((a) => a !== hostArch());

interface CheckJson {
  passed: boolean;
  accel: Record<string, { accel: string; reason: string }>;
  results: { arch: string; medium: string; verdict: string; reason?: string; seconds: number; consoleLog: string; lastLines?: string[]; tcgKargs?: string[]; kargsNote?: string }[];
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ missing: run `npx tsc -p tsconfig.json` (hack/test.sh does)');
  const reg = spawnSync('bash', [join(ROOT, 'hack', 'registry.sh')], { encoding: 'utf8' });
  if (reg.status !== 0) throw new Error(`local registry not running: ${reg.stderr}`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(foreign)('day0 build --arch %s --check-boot (every medium)', (arch) => {
  const out = join(work, arch);
  let code: number | null;
  let stdout = '';
  let report: CheckJson;

  beforeAll(async () => {
    // every medium QEMU can boot-check that this platform makes (no metal4k where no boot mode boots 4k disks)
    const disks = supportedDiskFormats(await loadProfile(arch)).filter((f) => ['metal', 'metal4k', 'qemu'].includes(f));
    const r = spawnSync('node', [DAY0, 'build', DEMO, '--arch', arch, '--tls-verify=false', '-i', join(ROOT, 'hack/demo/config.ign'),
      '-f', ['iso', 'pxe', ...disks].join(','), '-o', out, '--check-boot', '--jobs', '2',
      '--expect-file', '/etc/ipsec.d/my-host-to-host.conf', '--expect-unit', 'hello-day0.service'],
    { encoding: 'utf8', timeout: 60 * 60_000 });
    code = r.status;
    stdout = r.stdout;
    if (!existsSync(join(out, 'build.json'))) throw new Error(`build failed (${r.status}): ${r.stderr.slice(-3000)}`);
    report = (JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { checkBoot: CheckJson }).checkBoot;
  }, 65 * 60_000);

  it('passes every cell the profile\'s boot modes give', async () => {
    const p = await loadProfile(arch);
    for (const r of report.results) if (r.verdict !== 'pass') console.error(arch, r.medium, r.reason, r.lastLines?.join('\n'));
    const modes = bootModes(p);
    const expected = new Set<string>(['pxe-direct']);
    for (const m of modes) {
      if (m.iso !== 'none') expected.add(`iso-${m.name}`);
      if (m.disk !== 'none' && (m.sector_sizes as number[]).includes(512)) expected.add(`metal-${m.name}`);
      if (m.disk !== 'none' && (m.sector_sizes as number[]).includes(4096)) expected.add(`metal4k-${m.name}`);
      if (m.netboot) expected.add('pxe-net');
    }
    expected.add(`qemu-${modes.find((m) => m.disk !== 'none')!.name}`);
    expect(Object.fromEntries(report.results.map((r) => [r.medium, r.verdict]))).toEqual(Object.fromEntries([...expected].map((c) => [c, 'pass'])));
    expect(report.results.every((r) => r.arch === arch)).toBe(true);
    expect(code).toBe(0);
  });

  it('says it emulated the guest, and every console log carries the marker', () => {
    expect(report.accel[arch]?.accel).toBe('tcg');
    expect(stdout).toMatch(new RegExp(`acceleration ${arch}: tcg`));
    for (const r of report.results) expect(readFileSync(r.consoleLog, 'utf8')).toMatch(/DAY0-BOOT-CHECK [0-9a-f]{16} OK/);
  });

  it('adds the profile\'s TCG kernel arguments to every GRUB-booted copy, the qemu overlay included, and the kernel gets them', async () => {
    const p = await loadProfile(arch);
    const modes = new Map(bootModes(p).map((m) => [m.name, m]));
    for (const r of report.results) {
      const zipl = /^(metal|metal4k|qemu)-/.test(r.medium) && modes.get(r.medium.replace(/^\w+-/, ''))?.disk === 'zipl';
      if (zipl) {
        expect(r.kargsNote, r.medium).toMatch(/bootmap/);
        continue;
      }
      expect(r.tcgKargs, r.medium).toEqual(p.qemu.tcg_kargs);
      const cmdline = /Kernel command line: (.*)/.exec(readFileSync(r.consoleLog, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
      for (const k of p.qemu.tcg_kargs) expect(cmdline, r.medium).toContain(k);
    }
  });

  it('names the artifacts for the arch and records the tools that made them', () => {
    const build = JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { builds: Record<string, { arch: string; tools: Record<string, string>; artifacts: { path: string }[] }> };
    const b = build.builds[arch]!;
    expect(b.arch).toBe(arch);
    for (const a of b.artifacts) expect(a.path.startsWith(`${arch}/`)).toBe(true);
    expect(b.artifacts.map((a) => a.path)).toContain(`${arch}/demo-layered-live.${arch}.iso`);
    expect(Object.keys(b.tools)).toContain('xorriso');
  });
});
