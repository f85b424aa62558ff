// The boot report page (check-boot.html): the matrix arch × medium × firmware with verdicts, each cell's phase
// timeline and its console log. Self-contained: inline CSS, no script, no network. Pure.
import { BOOT_MODES } from '../profiles/schema.js';

/** One phase of a boot, in seconds since QEMU started (as PhaseTracker.phases() gives them). */
export interface ReportPhase {
  phase: string;
  start: number;
  end: number;
}

/** One boot: a medium booted under one firmware on one architecture. A plain JSON shape. */
export interface ReportCell {
  arch: string;
  /** e.g. "iso-bios", "pxe-net", "metal4k-uefi". */
  cellId: string;
  /** The medium kind: iso, pxe-direct, pxe-net, metal, metal4k, qemu, … */
  medium: string;
  /** bios, uefi, … */
  firmware: string;
  verdict: 'pass' | 'fail' | 'timeout';
  /** Failure kind (ignition-failed, kernel-panic, timeout, …); absent on pass. */
  kind?: string;
  /** Why it failed; absent on pass. */
  reason?: string;
  /** Seconds from QEMU start to the marker (pass) or to the verdict. */
  seconds: number;
  phases: ReportPhase[];
  /** The console log's text (it is escaped here). */
  consoleLog: string;
  /** The medium's file name, shown under the cell's heading. */
  artifact?: string;
  /** Where the full console log is kept, shown beside it. */
  consoleLogPath?: string;
  /** e.g. "boot args added for TCG: no_timer_check", shown under the verdict. */
  bootArgs?: string;
}

export interface BootReportPage {
  cells: ReportCell[];
  /** Page title (default "day0 boot check"). */
  title?: string;
  /** When the check ran (ISO 8601), shown under the title. */
  generatedAt?: string;
  /** "kvm" or "tcg", and why. */
  accel?: string;
  accelReason?: string;
  skipped?: { artifact: string; reason: string }[];
}

const MEDIUM_ORDER = ['iso', 'pxe-direct', 'pxe-net', 'metal', 'metal4k', 'qemu', 'vmware', 'azure'];
/** Boot modes in the profiles' vocabulary order. */
const FIRMWARE_ORDER: string[] = [...BOOT_MODES];
const PHASE_ORDER = ['firmware', 'bootloader', 'kernel', 'initramfs', 'ignition-fetch', 'ignition-disks', 'ignition-files', 'switch-root', 'marker'];
const PHASE_COLOUR: Record<string, string> = {
  firmware: '#8d99ae',
  bootloader: '#b08968',
  kernel: '#4c78a8',
  initramfs: '#72b7b2',
  'ignition-fetch': '#f58518',
  'ignition-disks': '#e45756',
  'ignition-files': '#b279a2',
  'switch-root': '#54a24b',
  marker: '#1b1b1b',
};
const EXTRA_COLOURS = ['#9d755d', '#bab0ac', '#eeca3b', '#ff9da6'];

/** Text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Control characters other than tab and newline (escape sequences left in a log) shown as nothing. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[@-Z\\-_]/g, '').replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/** Known values in their usual order, then unknown ones alphabetically. */
function compareIn(order: string[]): (a: string, b: string) => number {
  const rank = (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

function ordered(values: Iterable<string>, order: string[]): string[] {
  return [...new Set(values)].sort(compareIn(order));
}

const anchor = (c: ReportCell) => `cell-${c.arch}-${c.cellId}`.replace(/[^A-Za-z0-9_-]/g, '_');
const secs = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function colourOf(phase: string, extra: Map<string, string>): string {
  const known = PHASE_COLOUR[phase];
  if (known) return known;
  if (!extra.has(phase)) extra.set(phase, EXTRA_COLOURS[extra.size % EXTRA_COLOURS.length]!);
  return extra.get(phase)!;
}

/** A round step for the time axis: about 6 ticks over `span` seconds. */
function tickStep(span: number): number {
  const raw = span / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

function verdictBadge(v: ReportCell['verdict']): string {
  return `<span class="badge ${v}">${v.toUpperCase()}</span>`;
}

function matrix(arch: string, cells: ReportCell[]): string {
  const mine = cells.filter((c) => c.arch === arch);
  const media = ordered(mine.map((c) => c.medium), MEDIUM_ORDER);
  const firmwares = ordered(mine.map((c) => c.firmware), FIRMWARE_ORDER);
  const head = `<tr><th scope="col">${escapeHtml(arch)}</th>${firmwares.map((f) => `<th scope="col">${escapeHtml(f)}</th>`).join('')}</tr>`;
  const rows = media.map((m) => {
    const tds = firmwares.map((f) => {
      const here = mine.filter((c) => c.medium === m && c.firmware === f);
      if (!here.length) return '<td class="empty">—</td>';
      return `<td class="${here.every((c) => c.verdict === 'pass') ? 'ok' : 'bad'}">${here
        .map((c) => {
          const detail = c.verdict === 'pass' ? `${secs(c.seconds)} s` : escapeHtml(c.kind ?? c.verdict);
          return `<a href="#${anchor(c)}">${verdictBadge(c.verdict)} <span class="num">${detail}</span></a>`;
        })
        .join('<br>')}</td>`;
    });
    return `<tr><th scope="row">${escapeHtml(m)}</th>${tds.join('')}</tr>`;
  });
  return `<table class="matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Seconds a cell's timeline covers. */
function cellLength(c: ReportCell): number {
  return Math.max(c.seconds, ...c.phases.map((p) => p.end));
}

function timeline(c: ReportCell, commonScale: number, extra: Map<string, string>): string {
  const own = cellLength(c) > commonScale;
  const scale = own ? cellLength(c) : commonScale;
  const pct = (t: number) => `${Math.max(0, Math.min(100, (t / scale) * 100)).toFixed(3)}%`;
  const step = tickStep(scale);
  const ticks: string[] = [];
  for (let t = 0; t <= scale + 1e-9; t += step) ticks.push(`<span class="tick" style="left:${pct(t)}">${secs(t).replace(/\.0$/, '')}</span>`);
  const segs = c.phases
    .filter((p) => p.phase !== 'marker')
    .map((p) => {
      const d = Math.max(0, p.end - p.start);
      const label = `${p.phase} ${secs(p.start)}–${secs(p.end)} s (${secs(d)} s)`;
      return `<span class="seg" style="left:${pct(p.start)};width:${pct(d)};background:${colourOf(p.phase, extra)}" title="${escapeHtml(label)}"></span>`;
    });
  const endClass = c.verdict === 'pass' ? 'end pass' : `end ${c.verdict}`;
  const end = `<span class="${endClass}" style="left:${pct(c.seconds)}" title="${escapeHtml(`${c.verdict} at ${secs(c.seconds)} s`)}"></span>`;
  const chips = c.phases.map((p) => {
    const d = Math.max(0, p.end - p.start);
    const value = p.phase === 'marker' ? `at ${secs(p.start)} s` : `${secs(d)} s`;
    return `<li><span class="swatch" style="background:${colourOf(p.phase, extra)}"></span>${escapeHtml(p.phase)} <b class="num">${value}</b></li>`;
  });
  const table = c.phases.length ? `<ul class="durations">${chips.join('')}</ul>` : '<p class="muted">no phases recorded</p>';
  return `<div class="timeline" role="img" aria-label="${escapeHtml(`phase timeline of ${c.arch} ${c.cellId}`)}"><div class="track">${segs.join('')}${end}</div><div class="axis">${ticks.join('')}</div>${own ? '<div class="note">its own time scale: this boot took far longer than the others</div>' : ''}</div>${table}`;
}

/** Seconds per phase for every cell: where the time goes, side by side. */
function phaseTable(cells: ReportCell[], phaseNames: string[], extra: Map<string, string>): string {
  const cols = phaseNames.filter((p) => p !== 'marker');
  const head = `<tr><th>boot</th><th>verdict</th>${cols.map((p) => `<th class="num" style="border-bottom-color:${colourOf(p, extra)}">${escapeHtml(p).replace(/-/g, '-<wbr>')}</th>`).join('')}<th class="num">total</th></tr>`;
  const rows = cells.map((c) => {
    const d = new Map<string, number>();
    for (const p of c.phases) d.set(p.phase, (d.get(p.phase) ?? 0) + Math.max(0, p.end - p.start));
    const tds = cols.map((p) => `<td class="num">${d.has(p) ? secs(d.get(p)!) : '<span class="muted">–</span>'}</td>`);
    return `<tr><th scope="row"><a href="#${anchor(c)}">${escapeHtml(`${c.arch} ${c.cellId}`)}</a></th><td>${verdictBadge(c.verdict)}</td>${tds.join('')}<td class="num"><b>${secs(c.seconds)}</b></td></tr>`;
  });
  return `<div class="scroll"><table class="phasetable"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function cellSection(c: ReportCell, scale: number, extra: Map<string, string>): string {
  const log = printable(c.consoleLog);
  const lines = log ? log.split('\n').length - (log.endsWith('\n') ? 1 : 0) : 0;
  const what = c.verdict === 'pass' ? `marker after ${secs(c.seconds)} s` : `${escapeHtml(c.reason ?? c.kind ?? c.verdict)} (after ${secs(c.seconds)} s)`;
  return `<section class="cell ${c.verdict}" id="${anchor(c)}">
<h3>${verdictBadge(c.verdict)} ${escapeHtml(c.arch)} · ${escapeHtml(c.medium)} · ${escapeHtml(c.firmware)} <span class="muted">(${escapeHtml(c.cellId)})</span></h3>
<p class="what">${what}${c.artifact ? ` — <code>${escapeHtml(c.artifact)}</code>` : ''}</p>
${c.bootArgs ? `<p class="muted">${escapeHtml(c.bootArgs)}</p>\n` : ''}${timeline(c, scale, extra)}
<details><summary>console log (${lines} line${lines === 1 ? '' : 's'})${c.consoleLogPath ? ` — <code>${escapeHtml(c.consoleLogPath)}</code>` : ''}</summary><pre class="log">${escapeHtml(log)}</pre></details>
</section>`;
}

const CSS = `
:root{color-scheme:light;--fg:#1d1f23;--muted:#6a7079;--line:#d9dce1;--bg:#fff;--soft:#f5f6f8;--pass:#1a7f37;--fail:#cf222e;--timeout:#9a6700}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg);max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:15px;margin:0 0 4px;display:flex;align-items:center;gap:8px;flex-wrap:wrap}
.muted{color:var(--muted);font-weight:normal}
.summary{margin:0 0 8px;color:var(--muted)}.summary strong{color:var(--fg)}
table{border-collapse:collapse}
.matrix{margin:0 0 12px}
.matrix th,.matrix td{border:1px solid var(--line);padding:8px 14px;text-align:left;vertical-align:middle}
.matrix thead th{background:var(--soft);font-weight:600}
.matrix tbody th{background:var(--soft);font-weight:600;white-space:nowrap}
.matrix td.ok{background:#eef8f0}.matrix td.bad{background:#fdf0f0}.matrix td.empty{color:var(--muted);text-align:center}
.matrix a{color:inherit;text-decoration:none;white-space:nowrap}.matrix a:hover .num{text-decoration:underline}
.badge{display:inline-block;min-width:64px;text-align:center;font-size:12px;font-weight:700;letter-spacing:.04em;padding:1px 8px;border-radius:10px;color:#fff}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.timeout{background:var(--timeout)}
.num{font-variant-numeric:tabular-nums}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:6px 0 18px;color:var(--muted);font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.cell{border:1px solid var(--line);border-left-width:5px;border-radius:6px;padding:14px 16px;margin:0 0 16px}
.cell.pass{border-left-color:var(--pass)}.cell.fail{border-left-color:var(--fail)}.cell.timeout{border-left-color:var(--timeout)}
.what{margin:0 0 12px;color:var(--muted)}
.timeline{margin:0 0 10px}
.track{position:relative;height:22px;background:var(--soft);border:1px solid var(--line);border-radius:3px;overflow:hidden}
.seg{position:absolute;top:0;bottom:0;min-width:2px;border-right:1px solid rgba(255,255,255,.7)}
.end{position:absolute;top:-2px;bottom:-2px;width:3px;margin-left:-1px}
.end.pass{background:var(--fg)}.end.fail{background:var(--fail)}.end.timeout{background:var(--timeout)}
.axis{position:relative;height:16px;font-size:11px;color:var(--muted)}
.tick{position:absolute;top:2px;transform:translateX(-50%)}.tick:first-child{transform:none}
.note{font-size:12px;color:var(--timeout);margin-top:2px}
.durations{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;margin:2px 0 6px;padding:0;font-size:13px;color:var(--muted)}
.durations b{color:var(--fg);font-weight:600}
.phasetable{font-size:13px}
.scroll{overflow-x:auto;margin:0 0 8px}
.phasetable th,.phasetable td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;white-space:nowrap}
.phasetable thead th{color:var(--muted);font-weight:600;border-bottom-width:3px;white-space:normal;vertical-align:bottom}
.phasetable .num{text-align:right}.phasetable a{color:inherit;text-decoration:none}.phasetable a:hover{text-decoration:underline}
details{margin-top:6px}summary{cursor:pointer;color:var(--muted)}
pre.log{margin:8px 0 0;padding:10px 12px;background:#0f1115;color:#d7dae0;border-radius:4px;font:12px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,monospace;max-height:480px;overflow:auto;white-space:pre-wrap;word-break:break-all}
code{font:12px ui-monospace,"DejaVu Sans Mono",Menlo,monospace}
.skipped{color:var(--muted)}
`;

/** The whole page for a boot check's cells. */
export function renderReportHtml(report: BootReportPage): string {
  const title = report.title ?? 'day0 boot check';
  const cells = report.cells;
  // Arches in the order the report lists them (the run's order).
  const arches = [...new Set(cells.map((c) => c.arch))];
  const passedN = cells.filter((c) => c.verdict === 'pass').length;
  // One time scale for the timelines, so bars compare across cells; a boot far longer than the others (a stuck one)
  // gets its own, so that it does not squash every other bar.
  const lengths = cells.map(cellLength).sort((x, y) => x - y);
  const median = lengths[Math.floor(lengths.length / 2)] ?? 1;
  const scale = Math.max(1, ...lengths.filter((l) => l <= 2 * median));
  const extra = new Map<string, string>();
  const byMedium = compareIn(MEDIUM_ORDER);
  const byFirmware = compareIn(FIRMWARE_ORDER);
  const sorted = [...cells].sort(
    (a, b) => arches.indexOf(a.arch) - arches.indexOf(b.arch) || byMedium(a.medium, b.medium) || byFirmware(a.firmware, b.firmware) || a.cellId.localeCompare(b.cellId),
  );
  const sections = sorted.map((c) => cellSection(c, scale, extra));
  const seenPhases = ordered(cells.flatMap((c) => c.phases.map((p) => p.phase)), PHASE_ORDER);
  const timeTable = cells.length ? phaseTable(sorted, seenPhases, extra) : '';
  const legend = seenPhases.map((p) => `<span><span class="swatch" style="background:${colourOf(p, extra)}"></span>${escapeHtml(p)}</span>`).join('');
  const summary = [
    `<strong>${passedN}/${cells.length}</strong> boots reached the marker`,
    report.accel ? `acceleration: <strong>${escapeHtml(report.accel)}</strong>${report.accelReason ? ` (${escapeHtml(report.accelReason)})` : ''}` : '',
    report.generatedAt ? escapeHtml(report.generatedAt) : '',
  ].filter(Boolean).join(' · ');
  const skipped = (report.skipped ?? []).map((s) => `<li><code>${escapeHtml(s.artifact)}</code>: ${escapeHtml(s.reason)}</li>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="summary">${summary}</p>
<h2>Matrix</h2>
${arches.length ? arches.map((a) => matrix(a, cells)).join('\n') : '<p class="muted">no boots</p>'}
${skipped.length ? `<p class="skipped">skipped:</p><ul class="skipped">${skipped.join('')}</ul>` : ''}
${timeTable ? `<h2>Where the time goes <span class="muted">(seconds per phase)</span></h2>\n${timeTable}` : ''}
<h2>Boots</h2>
<div class="legend">${legend}</div>
${sections.join('\n')}
</body>
</html>
`;
}
