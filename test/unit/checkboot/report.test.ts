import { describe, expect, it } from 'vitest';
import { formatTable, passed, toJson, toJUnit, type CheckReport } from '../../../src/checkboot/report.js';

const cell = (id: string, arch = 'x86_64') => ({ id, arch, kind: 'iso' as const, firmware: 'bios' as const, artifact: `/o/${id}.iso` });
const report: CheckReport = {
  accel: { x86_64: { accel: 'tcg', reason: 'probe timed out' } },
  results: [
    { cell: cell('iso-bios'), overheadSeconds: 1.5, outcome: { verdict: 'pass', seconds: 44.2, lastLines: ['x'], consoleLog: '/l/1', matched: {} } },
    { cell: cell('iso-uefi'), overheadSeconds: 2, outcome: { verdict: 'fail', kind: 'emergency-shell', reason: 'emergency shell: You are in emergency mode', seconds: 30, lastLines: ['a <b> & "c"', 'You are in emergency mode'], consoleLog: '/l/2', matched: {} } },
    { cell: cell('metal-bios'), overheadSeconds: 0, outcome: { verdict: 'timeout', kind: 'timeout', reason: 'no marker within 60 s', seconds: 60, lastLines: [], consoleLog: '/l/3', matched: {} } },
  ],
  skipped: [{ artifact: '/o/d-azure.x86_64.vhd', reason: 'not checked' }],
};

describe('check-boot reports', () => {
  it('passes only when every cell passed', () => {
    expect(passed(report)).toBe(false);
    expect(passed({ ...report, results: report.results.slice(0, 1) })).toBe(true);
    expect(passed({ ...report, results: [] })).toBe(false);
  });

  it('prints a table with verdicts, seconds, reasons and the failing console tail', () => {
    const t = formatTable(report);
    expect(t).toMatch(/^acceleration x86_64: tcg \(probe timed out\)/);
    expect(t).toMatch(/ARCH\s+MEDIUM\s+ARTIFACT\s+VERDICT\s+SECONDS\s+REASON/);
    expect(t).toMatch(/x86_64\s+iso-bios\s+iso-bios\.iso\s+PASS\s+44\.2/);
    expect(t).toMatch(/x86_64\s+iso-uefi\s+iso-uefi\.iso\s+FAIL\s+-\s+emergency shell/);
    expect(t).toMatch(/x86_64\s+metal-bios.*TIMEOUT.*no marker within 60 s/);
    expect(t).toContain('--- x86_64 iso-uefi: last console lines (full log: /l/2)');
    expect(t).toContain('1/3 media booted with Ignition applied');
    expect(t).toContain('skipped d-azure.x86_64.vhd: not checked');
  });

  it('several platforms: one acceleration line per arch, one table arch × medium', () => {
    const multi: CheckReport = {
      accel: { x86_64: { accel: 'kvm', reason: 'KVM probe guest answered in 40 ms' }, aarch64: { accel: 'tcg', reason: 'guest is aarch64, host is x64: emulation (TCG)' } },
      results: [
        report.results[0]!,
        { cell: cell('iso-uefi', 'aarch64'), overheadSeconds: 1, outcome: { verdict: 'pass', seconds: 128, lastLines: [], consoleLog: '/l/4', matched: {} } },
        { cell: cell('metal4k-uefi', 'aarch64'), overheadSeconds: 1, outcome: { verdict: 'fail', kind: 'kernel-panic', reason: 'kernel panic', seconds: 90, lastLines: ['Kernel panic'], consoleLog: '/l/5', matched: {} } },
      ],
      skipped: [],
    };
    const lines = formatTable(multi).split('\n');
    expect(lines.slice(0, 2)).toEqual(['acceleration x86_64: kvm (KVM probe guest answered in 40 ms)', 'acceleration aarch64: tcg (guest is aarch64, host is x64: emulation (TCG))']);
    expect(lines[2]).toMatch(/^ARCH\s+MEDIUM/);
    expect(lines[3]).toMatch(/^x86_64\s+iso-bios\s+iso-bios\.iso\s+PASS\s+44\.2$/);
    expect(lines[4]).toMatch(/^aarch64\s+iso-uefi\s+iso-uefi\.iso\s+PASS\s+128\.0$/);
    expect(lines[5]).toMatch(/^aarch64\s+metal4k-uefi\s+metal4k-uefi\.iso\s+FAIL\s+-\s+kernel panic$/);
    // columns line up
    expect(lines[3]!.indexOf('iso-bios')).toBe(lines[5]!.indexOf('metal4k-uefi'));
    expect(formatTable(multi)).toContain('--- aarch64 metal4k-uefi: last console lines (full log: /l/5)');
    expect(formatTable(multi)).toContain('2/3 media booted with Ignition applied');
    const j = toJson(multi) as { accel: unknown; results: { arch: string; medium: string }[] };
    expect(j.accel).toEqual(multi.accel);
    expect(j.results.map((r) => `${r.arch} ${r.medium}`)).toEqual(['x86_64 iso-bios', 'aarch64 iso-uefi', 'aarch64 metal4k-uefi']);
    expect(toJUnit(multi)).toContain('name="aarch64 metal4k-uefi metal4k-uefi.iso"');
  });

  it('writes JUnit XML with failures, errors and skips, escaped', () => {
    const x = toJUnit(report);
    expect(x).toContain('tests="4" failures="1" errors="1" skipped="1"');
    expect(x).toContain('<failure type="emergency-shell"');
    expect(x).toContain('<error type="timeout"');
    expect(x).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(x).not.toContain('a <b>');
    expect(x).toContain('name="x86_64 iso-bios iso-bios.iso"');
  });

  it('JSON carries every verdict and console tails only for failures', () => {
    const j = toJson(report) as { passed: boolean; accel: unknown; results: { arch: string; verdict: string; lastLines?: string[] }[] };
    expect(j.passed).toBe(false);
    expect(j.accel).toEqual({ x86_64: { accel: 'tcg', reason: 'probe timed out' } });
    expect(j.results.map((r) => r.arch)).toEqual(['x86_64', 'x86_64', 'x86_64']);
    expect(j.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'timeout']);
    expect(j.results[0]!.lastLines).toBeUndefined();
    expect(j.results[1]!.lastLines).toHaveLength(2);
  });
});
