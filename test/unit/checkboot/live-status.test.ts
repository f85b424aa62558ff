// Progress output of boot checks: the plain lines and JSON events are part of day0's interface (logs, CI).
import { describe, expect, it } from 'vitest';
import { chooseMode, colourFor, formatElapsed, LiveStatus, type LiveMode } from '../../../src/checkboot/live-status.js';
import { PhaseTracker } from '../../../src/checkboot/phases.js';

function harness(mode: LiveMode, isTTY = false) {
  let out = '';
  let ms = Date.parse('2026-12-02T10:00:00.000Z');
  const stream = { isTTY, columns: 60, write: (s: string) => { out += s; return true; } };
  const live = new LiveStatus({ mode, stream, now: () => ms, refreshMs: 0, color: false });
  return { live, text: () => out, advance: (s: number) => { ms += s * 1000; } };
}

/** One cell's run, driven the way check-boot drives it: lines go to a PhaseTracker, its changes to LiveStatus. */
function runCell(h: ReturnType<typeof harness>) {
  const { live, advance } = h;
  live.stepStart('boot-check 1 medium');
  live.cellStart('iso-bios', { arch: 'x86_64', medium: 'iso', firmware: 'bios' });
  const tr = new PhaseTracker({ marker: 'DAY0-BOOT-CHECK 00ff OK' });
  const lines: [number, string][] = [
    [1.2, 'SeaBIOS (version 1.16.2-debian-1.16.2-1)'],
    [2.5, 'Booting from DVD/CD...'],
    [6, '[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)'],
    [6.1, '[    0.000000] Command line: console=ttyS0,115200n8'],
    [11.04, '[    2.905511] Run /init as init process'],
    [30, 'DAY0-BOOT-CHECK 00ff OK'],
  ];
  for (const [t, l] of lines) {
    live.cellLine('iso-bios', l);
    const c = tr.push(l, t);
    if (c) live.cellPhase('iso-bios', c);
  }
  advance(31);
  live.cellVerdict('iso-bios', { verdict: 'pass', seconds: 30 });
  live.cellStart('metal-uefi', { arch: 'x86_64', medium: 'metal', firmware: 'uefi' });
  live.cellVerdict('metal-uefi', { verdict: 'timeout', kind: 'timeout', reason: 'no console output for 300 s (stuck in initramfs)', seconds: 412.34 });
  live.stepEnd('boot-check 1 medium', false);
  live.close();
}

describe('LiveStatus', () => {
  it('plain: one line per step, phase change and verdict', () => {
    const h = harness('plain');
    runCell(h);
    expect(h.text()).toBe([
      'day0: boot-check 1 medium …',
      'day0: iso-bios: firmware at 0.0 s',
      'day0: iso-bios: bootloader at 2.5 s',
      'day0: iso-bios: kernel at 6.0 s',
      'day0: iso-bios: initramfs at 11.0 s',
      'day0: iso-bios: marker at 30.0 s',
      'day0: iso-bios: pass in 30.0 s',
      'day0: metal-uefi: firmware at 0.0 s',
      'day0: metal-uefi: timeout after 412.3 s: no console output for 300 s (stuck in initramfs)',
      'day0: ✘ boot-check 1 medium [31.0 s]',
      '',
    ].join('\n'));
    expect(h.text()).not.toMatch(/\x1b/); // no escape codes off a terminal
  });

  it('json: one event per line, each a JSON object with event and time', () => {
    const h = harness('json');
    runCell(h);
    const events = h.text().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual([
      'step-start', 'cell-phase', 'cell-phase', 'cell-phase', 'cell-phase', 'cell-phase', 'verdict', 'cell-phase', 'verdict', 'step-end',
    ]);
    expect(events[0]).toEqual({ event: 'step-start', time: '2026-12-02T10:00:00.000Z', step: 'boot-check 1 medium' });
    expect(events[1]).toEqual({ event: 'cell-phase', time: '2026-12-02T10:00:00.000Z', cell: 'iso-bios', arch: 'x86_64', medium: 'iso', firmware: 'bios', phase: 'firmware', previous: null, at: 0 });
    expect(events[4]).toEqual({
      event: 'cell-phase', time: '2026-12-02T10:00:00.000Z', cell: 'iso-bios', arch: 'x86_64', medium: 'iso', firmware: 'bios',
      phase: 'initramfs', previous: 'kernel', at: 11, line: '[    2.905511] Run /init as init process',
    });
    expect(events[6]).toEqual({ event: 'verdict', time: '2026-12-02T10:00:31.000Z', cell: 'iso-bios', arch: 'x86_64', medium: 'iso', firmware: 'bios', verdict: 'pass', seconds: 30 });
    expect(events[8]).toMatchObject({ event: 'verdict', cell: 'metal-uefi', verdict: 'timeout', kind: 'timeout', seconds: 412.3 });
    expect(events[9]).toEqual({ event: 'step-end', time: '2026-12-02T10:00:31.000Z', step: 'boot-check 1 medium', ok: false, seconds: 31 });
  });

  it('a step\'s note goes beside it: plain, tty and the step-end event', () => {
    for (const mode of ['plain', 'json', 'tty'] as const) {
      const h = harness(mode, mode === 'tty');
      h.live.stepStart('image');
      h.advance(2.5);
      h.live.stepEnd('image', true, 'sha256:ab12, 228.6 MB');
      h.live.close();
      if (mode === 'json') expect(JSON.parse(h.text().trimEnd().split('\n')[1]!)).toMatchObject({ event: 'step-end', step: 'image', ok: true, seconds: 2.5, note: 'sha256:ab12, 228.6 MB' });
      else expect(h.text()).toContain('✔ image (sha256:ab12, 228.6 MB) [2.5 s]');
    }
  });

  it('json: messages are not events (stderr carries only JSON lines)', () => {
    const h = harness('json');
    h.live.message('boot-checking 5 media under QEMU …');
    expect(h.text()).toBe('');
  });

  it('quiet prints nothing', () => {
    const h = harness('quiet');
    runCell(h);
    expect(h.text()).toBe('');
  });

  it('tty: a live line per running cell with phase, elapsed and last console line; a lasting line per verdict', () => {
    const h = harness('tty', true);
    h.live.cellStart('iso-bios');
    h.live.cellStart('pxe-net');
    h.advance(75);
    h.live.cellLine('iso-bios', '[    2.905511] Run /init as init process');
    h.live.cellPhase('iso-bios', { phase: 'initramfs', previous: 'kernel', t: 11 });
    expect(h.text()).toContain('iso-bios  initramfs   1:15  [    2.905511] Run /init');
    expect(h.text()).toContain('pxe-net   firmware    1:15');
    h.live.cellVerdict('iso-bios', { verdict: 'pass', seconds: 74.2 });
    expect(h.text()).toContain('✔ iso-bios  pass in 74.2 s');
    h.live.close();
    for (const line of h.text().split('\n')) expect(line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length).toBeLessThanOrEqual(60);
  });
});

describe('choosing the mode and colour', () => {
  it('--progress json always; --quiet silences the rest; auto follows the terminal', () => {
    expect(chooseMode('json', { isTTY: true, write: () => true }, true)).toBe('json');
    expect(chooseMode('auto', { isTTY: true, write: () => true }, true)).toBe('quiet');
    expect(chooseMode(undefined, { isTTY: true, write: () => true })).toBe('tty');
    expect(chooseMode(undefined, { write: () => true })).toBe('plain');
    expect(chooseMode('none', { isTTY: true, write: () => true })).toBe('quiet');
  });

  it('NO_COLOR turns colour off, FORCE_COLOR on, a pipe has none', () => {
    const tty = { isTTY: true, write: () => true };
    expect(colourFor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourFor(tty, {})).toBe(true);
    expect(colourFor(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourFor({ write: () => true }, {})).toBe(false);
    expect(colourFor({ write: () => true }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourFor({ write: () => true }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('elapsed reads m:ss, and h:mm:ss past an hour', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(75.9)).toBe('1:15');
    expect(formatElapsed(3725)).toBe('1:02:05');
  });
});
