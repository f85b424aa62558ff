import { describe, expect, it } from 'vitest';
import { formatTable, passed, toJson, toJUnit, type CheckReport } from '../../../src/checkboot/report.js';

const cell = (id: string) => ({ id, kind: 'iso' as const, firmware: 'bios' as const, artifact: `/o/${id}.iso` });
const report: CheckReport = {
  accel: 'tcg',
  accelReason: 'probe timed out',
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
    expect(t).toMatch(/^acceleration: tcg \(probe timed out\)/);
    expect(t).toMatch(/iso-bios\s+iso-bios\.iso\s+PASS\s+44\.2/);
    expect(t).toMatch(/iso-uefi\s+iso-uefi\.iso\s+FAIL\s+-\s+emergency shell/);
    expect(t).toMatch(/metal-bios.*TIMEOUT.*no marker within 60 s/);
    expect(t).toContain('--- iso-uefi: last console lines (full log: /l/2)');
    expect(t).toContain('1/3 media booted with Ignition applied');
    expect(t).toContain('skipped d-azure.x86_64.vhd: not checked');
  });

  it('writes JUnit XML with failures, errors and skips, escaped', () => {
    const x = toJUnit(report);
    expect(x).toContain('tests="4" failures="1" errors="1" skipped="1"');
    expect(x).toContain('<failure type="emergency-shell"');
    expect(x).toContain('<error type="timeout"');
    expect(x).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(x).not.toContain('a <b>');
  });

  it('JSON carries every verdict and console tails only for failures', () => {
    const j = toJson(report) as { passed: boolean; results: { verdict: string; lastLines?: string[] }[] };
    expect(j.passed).toBe(false);
    expect(j.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'timeout']);
    expect(j.results[0]!.lastLines).toBeUndefined();
    expect(j.results[1]!.lastLines).toHaveLength(2);
  });
});
