// Boot-check reports: a table for people, JSON and JUnit XML for machines. Pure.
import { basename } from 'node:path';
import type { BootOutcome } from '../qemu/runner.js';
import type { Cell } from './cells.js';
import type { PhaseSpan } from './phases.js';

export interface CellResult {
  cell: Cell;
  outcome: BootOutcome;
  /** Seconds day0 spent around the boot (preparing the medium copy, starting QEMU, cleanup). */
  overheadSeconds: number;
  /** Boot phases seen on the console (seconds since QEMU started). */
  phases?: PhaseSpan[];
  /** Under TCG: the kernel arguments added to the medium copy (the profile's qemu.tcg_kargs); absent under KVM. */
  tcgKargs?: string[];
  /** Why asked-for arguments were not added (e.g. a medium without a place for them). */
  kargsNote?: string;
  /** Install cells: the install boot (ISO + blank target); `outcome` and `phases` are then the target's own boot. */
  install?: { seconds: number; consoleLog: string; phases: PhaseSpan[]; liveMarker: boolean };
}

export interface CheckReport {
  /** Per arch: the accelerator used and why. */
  accel: Record<string, { accel: string; reason: string }>;
  results: CellResult[];
  skipped: { artifact: string; reason: string }[];
  /** How many boots ran at once, and why. */
  schedule?: { jobs: number; reason: string };
}

/** "boot args added for TCG: no_timer_check" (or why none were), for reports; undefined when nothing to say. */
export function tcgKargsText(x: Pick<CellResult, 'tcgKargs' | 'kargsNote'>): string | undefined {
  if (x.tcgKargs?.length) return `boot args added for TCG: ${x.tcgKargs.join(' ')}`;
  if (x.kargsNote) return `no boot args added for TCG: ${x.kargsNote}`;
  return undefined;
}

export function passed(r: CheckReport): boolean {
  return r.results.length > 0 && r.results.every((x) => x.outcome.verdict === 'pass');
}

export function formatTable(r: CheckReport): string {
  const rows = r.results.map((x) => [
    x.cell.arch,
    x.cell.id,
    basename(x.cell.artifact),
    x.outcome.verdict.toUpperCase(),
    x.outcome.verdict === 'pass' ? `${x.outcome.seconds.toFixed(1)}` : '-',
    x.outcome.verdict === 'pass' ? '' : (x.outcome.reason ?? ''),
  ]);
  const head = ['ARCH', 'MEDIUM', 'ARTIFACT', 'VERDICT', 'SECONDS', 'REASON'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i] ?? 0))).join('  ').trimEnd();
  const lines = [...Object.entries(r.accel).map(([a, x]) => `acceleration ${a}: ${x.accel} (${x.reason})`)];
  // Per arch, the TCG boot args (the same for every cell that got them; cells that did not are named).
  for (const arch of new Set(r.results.map((x) => x.cell.arch))) {
    const mine = r.results.filter((x) => x.cell.arch === arch);
    const texts = new Map<string, string[]>();
    for (const x of mine) {
      const t = tcgKargsText(x);
      if (t) texts.set(t, [...(texts.get(t) ?? []), x.cell.id]);
    }
    for (const [t, ids] of texts) lines.push(`${arch}: ${t}${ids.length === mine.length ? '' : ` (${ids.join(', ')})`}`);
  }
  if (r.schedule) lines.push(`boots at once: ${r.schedule.jobs} (${r.schedule.reason})`);
  lines.push(fmt(head), ...rows.map(fmt));
  for (const s of r.skipped) lines.push(`skipped ${basename(s.artifact)}: ${s.reason}`);
  for (const x of r.results) {
    if (x.outcome.verdict !== 'pass') {
      lines.push('', `--- ${x.cell.arch} ${x.cell.id}: last console lines (full log: ${x.outcome.consoleLog})`, ...x.outcome.lastLines.slice(-15).map((l) => `  ${l}`));
    }
  }
  const n = r.results.filter((x) => x.outcome.verdict === 'pass').length;
  lines.push('', `${n}/${r.results.length} media booted with Ignition applied`);
  return lines.join('\n');
}

export function toJson(r: CheckReport): unknown {
  return {
    passed: passed(r),
    accel: r.accel,
    results: r.results.map((x) => ({
      arch: x.cell.arch,
      medium: x.cell.id,
      kind: x.cell.kind,
      firmware: x.cell.firmware,
      artifact: x.cell.artifact,
      verdict: x.outcome.verdict,
      failure: x.outcome.kind,
      reason: x.outcome.reason,
      seconds: x.outcome.seconds,
      overheadSeconds: x.overheadSeconds,
      phases: x.phases ?? [],
      ...(x.tcgKargs ? { tcgKargs: x.tcgKargs } : {}),
      ...(x.kargsNote ? { kargsNote: x.kargsNote } : {}),
      ...(x.install ? { install: x.install } : {}),
      consoleLog: x.outcome.consoleLog,
      lastLines: x.outcome.verdict === 'pass' ? undefined : x.outcome.lastLines,
    })),
    skipped: r.skipped,
    ...(r.schedule ? { schedule: r.schedule } : {}),
  };
}

const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

export function toJUnit(r: CheckReport): string {
  const failures = r.results.filter((x) => x.outcome.verdict === 'fail').length;
  const errors = r.results.filter((x) => x.outcome.verdict === 'timeout').length;
  const total = r.results.reduce((a, x) => a + x.outcome.seconds, 0);
  const cases = r.results.map((x) => {
    const name = `${x.cell.arch} ${x.cell.id} ${basename(x.cell.artifact)}`;
    const open = `  <testcase classname="day0.check-boot" name="${esc(name)}" time="${x.outcome.seconds.toFixed(1)}">`;
    if (x.outcome.verdict === 'pass') return `${open}</testcase>`;
    const tag = x.outcome.verdict === 'timeout' ? 'error' : 'failure';
    const body = esc(x.outcome.lastLines.join('\n'));
    return `${open}\n    <${tag} type="${esc(x.outcome.kind ?? x.outcome.verdict)}" message="${esc(x.outcome.reason ?? '')}">${body}</${tag}>\n  </testcase>`;
  });
  const skips = r.skipped.map((s) => `  <testcase classname="day0.check-boot" name="${esc(basename(s.artifact))}"><skipped message="${esc(s.reason)}"/></testcase>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="day0 check-boot" tests="${r.results.length + r.skipped.length}" failures="${failures}" errors="${errors}" skipped="${r.skipped.length}" time="${total.toFixed(1)}">`,
    ...cases,
    ...skips,
    '</testsuite>',
    '',
  ].join('\n');
}
