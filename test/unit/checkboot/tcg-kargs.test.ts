// Timer-safe kernel arguments under TCG: added to the boot check's private copy (kernel append, iPXE script, GRUB
// configs), from the profile (qemu.tcg_kargs), and said in the reports.
import { describe, expect, it } from 'vitest';
import { appendKargs, grubCfgWithKargs, ipxeWithKargs } from '../../../src/checkboot/kargs.js';
import { renderReportHtml } from '../../../src/checkboot/html.js';
import { formatTable, tcgKargsText, toJson, type CheckReport } from '../../../src/checkboot/report.js';
import { blsEntryText, blsOptions, editBlsOptions } from '../../../src/manifest/grub.js';
import { EACH_PROFILE } from '../../helpers/profiles.js';

describe('tcg kernel arguments', () => {
  it('come from the profiles: x86_64 (IO-APIC timer check) has no_timer_check; every list is whole arguments', () => {
    const byArch = Object.fromEntries(EACH_PROFILE.map(([a, p]) => [a, p.qemu.tcg_kargs]));
    expect(byArch.x86_64).toContain('no_timer_check');
    for (const [, list] of Object.entries(byArch)) for (const a of list) expect(a).toMatch(/^\S+$/);
  });

  it('are appended once to a kernel command line and to iPXE kernel lines', () => {
    expect(appendKargs('console=ttyS0 ignition.firstboot', ['no_timer_check'])).toBe('console=ttyS0 ignition.firstboot no_timer_check');
    expect(appendKargs('a no_timer_check', ['no_timer_check'])).toBe('a no_timer_check');
    const script = '#!ipxe\nkernel http://x/k initrd=i.img console=ttyS0\ninitrd http://x/i.img\nboot';
    expect(ipxeWithKargs(script, ['no_timer_check'])).toBe('#!ipxe\nkernel http://x/k initrd=i.img console=ttyS0 no_timer_check\ninitrd http://x/i.img\nboot');
  });

  it('go into a disk\'s BLS entry options, as coreos-installer --append-karg does (grub.cfg linux line on older disks)', () => {
    const entry = blsEntryText({ title: 'Demo (6.1)', version: '6.1', linux: '/vmlinuz', initrd: ['/initramfs.img'], options: ['root=LABEL=root', 'rw'] });
    const out = editBlsOptions(entry, { append: ['no_timer_check', 'mitigations=off'] });
    expect(blsOptions(out)).toEqual(['root=LABEL=root', 'rw', '$ignition_firstboot', 'no_timer_check', 'mitigations=off']);
    expect(editBlsOptions(out, { append: ['no_timer_check'] })).toBe(out);
    const old = 'menuentry x {\n  linux /vmlinuz root=LABEL=root rw ${ignition_firstboot}\n  initrd /i\n}';
    expect(grubCfgWithKargs(old, ['no_timer_check'])).toContain('  linux /vmlinuz root=LABEL=root rw no_timer_check ${ignition_firstboot}');
    expect(grubCfgWithKargs('linux /k a\ninitrd /i', ['x'])).toBe('linux /k a x\ninitrd /i');
    expect(() => grubCfgWithKargs('set timeout=1', ['x'])).toThrow(/no linux line/);
  });

  it('are said in check-boot.json and the text report', () => {
    const cell = (id: string) => ({ id, arch: 'x86_64', kind: 'iso' as const, firmware: 'uefi' as const, artifact: `/o/${id}.iso` });
    const outcome = { verdict: 'pass' as const, seconds: 40, lastLines: [], consoleLog: '/l', matched: {} };
    const r: CheckReport = {
      accel: { x86_64: { accel: 'tcg', reason: 'no KVM' } },
      results: [
        { cell: cell('iso-uefi'), outcome, overheadSeconds: 1, tcgKargs: ['no_timer_check'] },
        { cell: cell('pxe-direct'), outcome, overheadSeconds: 1, tcgKargs: ['no_timer_check'] },
      ],
      skipped: [],
      schedule: { jobs: 1, reason: '2 cores / 2 vCPUs per guest' },
    };
    expect(tcgKargsText(r.results[0]!)).toBe('boot args added for TCG: no_timer_check');
    const t = formatTable(r);
    expect(t).toContain('x86_64: boot args added for TCG: no_timer_check\n');
    expect(t).toContain('boots at once: 1 (2 cores / 2 vCPUs per guest)');
    const j = toJson(r) as { results: { tcgKargs?: string[] }[]; schedule: unknown };
    expect(j.results[0]!.tcgKargs).toEqual(['no_timer_check']);
    expect(j.schedule).toEqual({ jobs: 1, reason: '2 cores / 2 vCPUs per guest' });
    const page = renderReportHtml({ cells: [{ arch: 'x86_64', cellId: 'iso-uefi', medium: 'iso', firmware: 'uefi', verdict: 'pass', seconds: 40, phases: [], consoleLog: '', bootArgs: tcgKargsText(r.results[0]!)! }] });
    expect(page).toContain('boot args added for TCG: no_timer_check');
    // A cell that could not get them is named, with why.
    const partial = formatTable({ ...r, results: [...r.results, { cell: { ...cell('qemu-bios'), kind: 'qemu' as const }, outcome, overheadSeconds: 1, tcgKargs: [], kargsNote: 'overlay' }] });
    expect(partial).toContain('x86_64: boot args added for TCG: no_timer_check (iso-uefi, pxe-direct)');
    expect(partial).toContain('x86_64: no boot args added for TCG: overlay (qemu-bios)');
  });
});
