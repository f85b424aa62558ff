// The boot report page as text: what it shows and that it stays self-contained and escaped.
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderReportHtml, type ReportCell } from '../../../src/checkboot/html.js';

const phases = (marks: [string, number][], end: number) =>
  marks.map(([phase, start], i) => ({ phase, start, end: marks[i + 1]?.[1] ?? end }));

const pass: ReportCell = {
  arch: 'x86_64', cellId: 'iso-bios', medium: 'iso', firmware: 'bios', verdict: 'pass', seconds: 41.5,
  phases: phases([['firmware', 0], ['bootloader', 1.2], ['kernel', 3], ['initramfs', 9], ['ignition-fetch', 14], ['ignition-disks', 20], ['ignition-files', 22], ['switch-root', 30], ['marker', 41.5]], 41.5),
  consoleLog: 'SeaBIOS (version 1.16.2)\n[    2.9] Run /init as init process\nDAY0-BOOT-CHECK 00ff OK\n',
  artifact: 'demo-live.x86_64.iso', consoleLogPath: 'out/check-boot/iso-bios.log',
};
const fail: ReportCell = {
  arch: 'x86_64', cellId: 'metal-uefi', medium: 'metal', firmware: 'uefi', verdict: 'fail', kind: 'kernel-panic',
  reason: 'kernel panic: Kernel panic - not syncing: IO-APIC + timer doesn\'t work!', seconds: 12,
  phases: phases([['firmware', 0], ['bootloader', 2], ['kernel', 4]], 12),
  consoleLog: '<script>alert(1)</script> & "quoted"\n\x1b[0;1;31mKernel panic\x1b[0m\r\n',
};

describe('renderReportHtml', () => {
  const html = renderReportHtml({ cells: [fail, pass], accel: 'tcg', accelReason: 'no /dev/kvm', generatedAt: '2026-12-02T10:00:00Z' });

  it('is one self-contained document: inline style, no script, nothing fetched', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('has the matrix: medium rows, firmware columns, verdicts linking to each cell', () => {
    const matrix = html.slice(html.indexOf('<table class="matrix">'), html.indexOf('</table>') + 8);
    expect(matrix).toMatch(/<th scope="col">x86_64<\/th><th scope="col">bios<\/th><th scope="col">uefi<\/th>/);
    expect(matrix.indexOf('>iso<')).toBeLessThan(matrix.indexOf('>metal<')); // iso before metal whatever the input order
    expect(matrix).toContain('<a href="#cell-x86_64-iso-bios"><span class="badge pass">PASS</span> <span class="num">41.5 s</span></a>');
    expect(matrix).toContain('<span class="badge fail">FAIL</span> <span class="num">kernel-panic</span>');
    expect(matrix.match(/class="empty"/g)).toHaveLength(2); // iso-uefi and metal-bios were not booted
    expect(html).toContain('id="cell-x86_64-iso-bios"');
    expect(html).toContain('<strong>1/2</strong> boots reached the marker');
    expect(html).toContain('acceleration: <strong>tcg</strong> (no /dev/kvm)');
  });

  it('draws each phase as a bar on one time scale shared by all cells', () => {
    // scale = 41.5 s: the kernel of the failed cell starts at 4 s → 9.639 %
    expect(html).toContain('left:9.639%;width:19.277%;background:#4c78a8" title="kernel 4.0–12.0 s (8.0 s)"');
    expect(html).toMatch(/class="end fail" style="left:28\.916%"/);
    expect(html).toContain('switch-root <b class="num">11.5 s</b>'); // from 30 to the marker at 41.5
    expect(html).toContain('marker <b class="num">at 41.5 s</b>');
  });

  it('has a table of seconds per phase for every cell, phases the cell never reached shown as –', () => {
    const table = html.slice(html.indexOf('<table class="phasetable">'));
    const row = (id: string) => table.slice(table.indexOf(`>x86_64 ${id}<`), table.indexOf('</tr>', table.indexOf(`>x86_64 ${id}<`)));
    const cells = (r: string) => [...r.matchAll(/<td class="num">(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
    expect(cells(row('iso-bios'))).toEqual(['1.2', '1.8', '6.0', '5.0', '6.0', '2.0', '8.0', '11.5', '41.5']);
    expect(cells(row('metal-uefi'))).toEqual(['2.0', '2.0', '8.0', '–', '–', '–', '–', '–', '12.0']);
  });

  it('a boot far longer than the others (stuck) gets its own time scale, the rest keep theirs', () => {
    const stuck: ReportCell = { ...fail, cellId: 'metal4k-uefi', medium: 'metal4k', verdict: 'timeout', kind: 'timeout', seconds: 900, phases: phases([['firmware', 0], ['initramfs', 10]], 900) };
    const page = renderReportHtml({ cells: [pass, { ...pass, cellId: 'iso-uefi', firmware: 'uefi' }, stuck] });
    expect(page.match(/its own time scale/g)).toHaveLength(1);
    expect(page).toContain('class="end pass" style="left:100.000%"'); // common scale: the longest boot within twice the median
    expect(page).toContain('class="end timeout" style="left:100.000%"');
  });

  it('escapes console logs and reasons, and drops escape sequences', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;\nKernel panic\n');
    expect(html).toContain('IO-APIC + timer doesn&#39;t work!');
    expect(html).not.toContain('\x1b');
    expect(html).toMatch(/<details><summary>console log \(3 lines\) — <code>out\/check-boot\/iso-bios\.log<\/code><\/summary><pre class="log">/);
  });

  it('works for an empty report and unknown kinds', () => {
    expect(renderReportHtml({ cells: [] })).toContain('no boots');
    const odd = renderReportHtml({ cells: [{ ...pass, arch: 'aarch64', medium: 'floppy', firmware: 'uboot', phases: [{ phase: 'mystery', start: 0, end: 3 }] }] });
    expect(odd).toContain('>floppy<');
    expect(odd).toContain('>uboot<');
    expect(odd).toContain('mystery');
  });

  it('escapeHtml', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
