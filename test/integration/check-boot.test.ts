// Proof of boot, end to end through the CLI: every x86_64 medium built from the demo layered image boots under
// QEMU with the user's Ignition config applied; and each failure kind is recognised from a real boot.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { day0, DAY0, DEMO, requireDemoWorld, ROOT } from '../helpers/demo-world.js';
import { x86ProbeBootSector } from '../../src/qemu/accel.js';

const work = mkdtempSync(join(tmpdir(), 'day0-checkboot-test-'));
const out = join(work, 'out');

interface CheckJson {
  passed: boolean;
  accel: Record<string, { accel: string; reason: string }>;
  results: { medium: string; verdict: string; failure?: string; reason?: string; seconds: number; consoleLog: string; lastLines?: string[]; tcgKargs?: string[] }[];
}

beforeAll(requireDemoWorld);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('day0 build --check-boot (all x86_64 media)', () => {
  let res: ReturnType<typeof day0>;
  let report: CheckJson;

  beforeAll(() => {
    res = day0(['build', DEMO, '--tls-verify=false', '-i', join(ROOT, 'hack/demo/config.ign'),
      '-f', 'iso,pxe,metal,metal4k,qemu', '-o', out, '--check-boot', '--firmware', 'both', '--jobs', '3',
      '--expect-file', '/etc/ipsec.d/my-host-to-host.conf', '--expect-unit', 'hello-day0.service',
      '--junit', join(work, 'junit.xml')]);
    const build = JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { checkBoot: CheckJson };
    report = build.checkBoot;
  }, 60 * 60_000);

  it('passes every cell: ISO-BIOS, ISO-UEFI, PXE direct, PXE network, metal-BIOS, metal-UEFI, metal4k, qcow2', () => {
    const verdicts = Object.fromEntries(report.results.map((r) => [r.medium, r.verdict]));
    for (const r of report.results) if (r.verdict !== 'pass') console.error(r.medium, r.reason, r.lastLines?.join('\n'));
    expect(verdicts).toEqual({
      'iso-bios': 'pass', 'iso-uefi': 'pass', 'pxe-direct': 'pass', 'pxe-net': 'pass',
      'metal-bios': 'pass', 'metal-uefi': 'pass', 'metal4k-uefi': 'pass', 'qemu-bios': 'pass',
    });
    expect(res.code).toBe(0);
    expect(report.passed).toBe(true);
  });

  it('ends with the verdict table, states the accelerator, and writes JUnit and console logs', () => {
    expect(res.stdout).toMatch(/acceleration x86_64: (tcg|kvm)/);
    expect(res.stdout).toMatch(/ARCH\s+MEDIUM\s+ARTIFACT\s+VERDICT\s+SECONDS/);
    expect(res.stdout).toContain('8/8 media booted with Ignition applied');
    const junit = readFileSync(join(work, 'junit.xml'), 'utf8');
    expect(junit).toContain('tests="8" failures="0" errors="0"');
    for (const r of report.results) expect(readFileSync(r.consoleLog, 'utf8')).toMatch(/DAY0-BOOT-CHECK [0-9a-f]{16} OK/);
  });

  it('disks boot what their BLS entry says: arguments the check appended to its options line (as coreos-installer does) reach the kernel', () => {
    // metal copies are edited in place; the qemu cell's overlay gets the edited blocks of its boot partition
    const disks = report.results.filter((r) => r.medium.startsWith('metal') || r.medium.startsWith('qemu'));
    expect(disks).toHaveLength(4);
    for (const r of disks) {
      const cmdline = /Command line: (.*)/.exec(readFileSync(r.consoleLog, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
      expect(cmdline, r.medium).toContain(`ignition.platform.id=${r.medium.startsWith('qemu') ? 'qemu' : 'metal'}`);
      expect(cmdline, r.medium).toContain('ignition.firstboot');
      if (report.accel.x86_64?.accel === 'tcg') expect(r.tcgKargs?.length, r.medium).toBeGreaterThan(0);
      for (const k of r.tcgKargs ?? []) expect(cmdline, r.medium).toContain(k);
    }
  });

  it('never changes the shipped media: the ISO still carries only the user config', () => {
    const iso = join(out, 'x86_64', 'demo-layered-live.x86_64.iso');
    const shown = execFileSync('node', [DAY0, 'iso', 'ignition', 'show', iso], { encoding: 'utf8' });
    expect(shown).toContain('hello-day0.service');
    expect(shown).not.toContain('day0-boot-check');
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    expect(execFileSync('sha256sum', ['-c', '--quiet', '-'], { cwd: out, input: sums, encoding: 'utf8' })).toBe('');
  });
});

describe('failures are recognised from real boots', () => {
  let report: CheckJson;
  let code: number | null;
  const fw = join(work, 'fail');

  beforeAll(() => {
    execFileSync('mkdir', ['-p', fw]);
    // 1. Ignition fails: a file whose verification hash does not match its contents.
    writeFileSync(join(fw, 'bad.ign'), JSON.stringify({
      ignition: { version: '3.3.0' },
      storage: { files: [{ path: '/etc/bad', contents: { source: 'data:,hello', verification: { hash: `sha512-${'0'.repeat(128)}` } } }] },
    }));
    const bad = day0(['build', DEMO, '--tls-verify=false', '-i', join(fw, 'bad.ign'), '-f', 'pxe', '-o', join(fw, 'ign'), '--name', 'badign', '-q']);
    if (bad.code !== 0) throw new Error(`build failed: ${bad.stderr}`);
    // 2. A broken kernel argument: the ISO's live root label points nowhere, so the root is never found.
    const good = day0(['build', DEMO, '--tls-verify=false', '-f', 'iso', '-o', join(fw, 'karg'), '--name', 'badkarg', '-q']);
    if (good.code !== 0) throw new Error(`build failed: ${good.stderr}`);
    const iso = join(fw, 'karg', 'x86_64', 'badkarg-live.x86_64.iso');
    const label = /coreos\.liveiso=(\S+)/.exec(execFileSync('node', [DAY0, 'iso', 'kargs', 'show', iso], { encoding: 'utf8' }))![1]!;
    // day0.boot_wait: the demo OS waits this long for its root device (default 900 s, for loaded hosts).
    execFileSync('node', [DAY0, 'iso', 'kargs', 'modify', '--replace', `coreos.liveiso=${label}=NO-SUCH-LABEL`, '--append', 'day0.boot_wait=20', iso]);
    // 3. Not bootable: an empty disk image.
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(fw, 'blank-qemu.x86_64.qcow2'), '64M']);
    const r = day0(['check-boot', '--firmware', 'bios', '--jobs', '3', '--timeout', '600', '--json', '--log-dir', join(fw, 'logs'),
      join(fw, 'ign', 'x86_64', 'badign-live-kernel.x86_64'), iso, join(fw, 'blank-qemu.x86_64.qcow2')]);
    code = r.code;
    report = JSON.parse(r.stdout) as CheckJson;
  }, 40 * 60_000);

  const result = (m: string, artifact: string) => report.results.find((r) => r.medium === m && (r as { artifact?: string }).artifact?.includes(artifact))!;

  it('exits non-zero and reports each failure with its console lines', () => {
    expect(code).toBe(1);
    expect(report.passed).toBe(false);
    for (const r of report.results) {
      expect(r.verdict).toBe('fail');
      expect(r.lastLines?.length ?? 0).toBeGreaterThan(0);
      expect(existsSync(r.consoleLog)).toBe(true);
    }
  });

  it('recognises an Ignition failure', () => {
    expect(result('pxe-direct', 'badign').failure).toBe('ignition-failed');
  });

  it('recognises a root that is never found (emergency shell)', () => {
    expect(result('iso-bios', 'badkarg').failure).toBe('emergency-shell');
  });

  it('recognises a medium the firmware cannot boot', () => {
    expect(result('qemu-bios', 'blank').failure).toBe('no-bootable-device');
  });

  it('tells slow from stuck: a guest still printing at the overall limit is a timeout', () => {
    // Firmware, bootloader and kernel print all through the first 20 s: never silent for the (capped) stall window.
    const r = day0(['check-boot', '--firmware', 'bios', '--timeout', '20', '--json', '--log-dir', join(fw, 'logs-timeout'),
      join(fw, 'karg', 'x86_64', 'badkarg-live.x86_64.iso')]);
    const rep = JSON.parse(r.stdout) as CheckJson;
    expect(r.code).toBe(1);
    expect(rep.results[0]).toMatchObject({ verdict: 'timeout', failure: 'timeout' });
    expect(rep.results[0]!.reason).toMatch(/^overall limit 20 s reached while still progressing/);
  }, 5 * 60_000);

  it('tells stuck from slow: a guest whose console goes silent is stalled, long before the overall limit; --progress json streams its events', () => {
    // A disk whose boot sector prints one line and halts: SeaBIOS, "DAY0KVM", then silence.
    const raw = join(fw, 'hang.raw');
    writeFileSync(raw, Buffer.concat([x86ProbeBootSector(), Buffer.alloc(2 ** 20 - 512)]));
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, join(fw, 'hang-qemu.x86_64.qcow2')]);
    const t0 = Date.now();
    const r = day0(['check-boot', '--firmware', 'bios', '--stall-timeout', '10', '--timeout', '1200', '--json', '--progress', 'json',
      '--log-dir', join(fw, 'logs-stall'), '--ignition', join(ROOT, 'hack/demo/config.ign'), join(fw, 'hang-qemu.x86_64.qcow2')]);
    const rep = JSON.parse(r.stdout) as CheckJson;
    expect(r.code).toBe(1);
    expect(rep.results[0]).toMatchObject({ verdict: 'fail', failure: 'stalled' });
    expect(rep.results[0]!.reason).toMatch(/^no console output for 10 s \(stalled\)/);
    expect(Date.now() - t0).toBeLessThan(600_000); // ended by the stall window, not the 1200 s overall limit
    // stderr: JSON events only, one per line: the cell's phases and its verdict.
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string; cell?: string; phase?: string; verdict?: string; kind?: string });
    const mine = events.filter((e) => e.cell === 'x86_64 qemu-bios');
    expect(mine[0]).toMatchObject({ event: 'cell-phase', phase: 'firmware' });
    expect(mine.at(-1)).toMatchObject({ event: 'verdict', verdict: 'fail', kind: 'stalled' });
  }, 10 * 60_000);
});
