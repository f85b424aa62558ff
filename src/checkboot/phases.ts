// Where a guest's boot time goes: the phase of a boot, read from its serial console one line at a time. Pure.
//
// Phases only move forward, in BOOT_PHASES order; a phase whose lines never show (no bootloader with direct kernel
// boot, a quiet kernel) is skipped, and its time counts towards the phase before it. A line that matches several
// phases moves to the furthest one ("[ 1.2] Run /init as init process" is a kernel line that starts the initramfs).
// Patterns are written for the guests day0 boots: SeaBIOS with its serial console, OVMF/AAVMF (BdsDxe on the
// serial port), GRUB 2, ISOLINUX, iPXE, the Linux kernel, dracut with systemd 252 in the initramfs, Debian's
// Ignition 2.14 and the boot check's marker line.

export const BOOT_PHASES = [
  'firmware',
  'bootloader',
  'kernel',
  'initramfs',
  'ignition-fetch',
  'ignition-disks',
  'ignition-files',
  'switch-root',
  'marker',
] as const;

export type BootPhase = (typeof BOOT_PHASES)[number];

export interface PhaseSpan {
  phase: BootPhase;
  /** Seconds since QEMU started. */
  start: number;
  /** Seconds since QEMU started: the next phase's start, or the last time seen for the current phase. */
  end: number;
}

export interface PhaseChange {
  phase: BootPhase;
  /** The phase that ended (firmware's predecessor is none). */
  previous: BootPhase | undefined;
  /** Seconds since QEMU started. */
  t: number;
  /** The console line that showed the new phase (escape sequences removed, trimmed). */
  line: string;
}

/** "Starting X - Ignition (disks)...", "ignition-disks.service", "ignition[612]: Stage: disks" for these stages. */
function ignitionStage(stages: string): RegExp {
  return new RegExp(`Ignition \\((?:${stages})\\)|\\bignition-(?:${stages})\\.service\\b|\\bignition\\[\\d+\\]: Stage: (?:${stages})\\b`);
}

/** Patterns that show each phase has begun (the first phase, firmware, begins when QEMU starts). */
const PATTERNS: Record<Exclude<BootPhase, 'firmware' | 'marker'>, RegExp[]> = {
  bootloader: [
    /\bBooting from (?:DVD\/CD|Hard Disk|Floppy|ROM|CD-Rom)\b/, // SeaBIOS hands over to a boot device (or linuxboot/iPXE ROM)
    /\bBdsDxe: starting Boot[0-9A-F]{4}\b/, // OVMF/AAVMF start a boot option
    /\bWelcome to GRUB!|\bGNU GRUB {1,2}version \d|\bThe highlighted entry will be executed automatically|\bBooting `/,
    /\b(?:ISO|SYS|PXE|EXT)LINUX \d+\.\d+/, // ISOLINUX 6.04 20200816 ETCD Copyright (C) 1994-2015 H. Peter Anvin et al
    /\biPXE initialising devices|\bOpen Source Network Boot Firmware\b/, // iPXE runs (not its POST banner)
  ],
  kernel: [
    /\bEFI stub: /, // the kernel's EFI entry point
    /\bDecompressing Linux\b|\bBooting the kernel\b/, // x86 decompressor with an early serial console
    /\bLinux version \d+\.\d+/,
    /^\[\s*\d+\.\d{3,}\] /, // any printk line with a timestamp
  ],
  initramfs: [
    /\bRun \/init as init process\b/, // the kernel starts the initramfs
    /\bRunning in (?:initrd|initial RAM disk)\b/, // systemd 252 / newer
    /\bWelcome to .*\(Initramfs\)!?/, // systemd's welcome with dracut's initrd-release
    /\bdracut-(?:cmdline|pre-udev|pre-trigger|initqueue|pre-mount|mount|pre-pivot)\[\d+\]:/,
    /\bdracut (?:cmdline|pre-udev|pre-trigger|initqueue|pre-mount|mount|pre-pivot) hook\b/,
  ],
  'ignition-fetch': [
    ignitionStage('fetch-offline|fetch|kargs'),
    /\bignition\[\d+\]: Ignition \d+\.\d+/, // the version banner each stage prints first
    /\bday0-ignition-user(?:\.service|\[\d+\])/, // the demo OS finding its embedded config (waits for the boot disk)
  ],
  'ignition-disks': [ignitionStage('disks|mount')],
  'ignition-files': [ignitionStage('files'), /\bReached target (?:ignition-complete\.target - )?Ignition Complete\b/],
  'switch-root': [
    /\bSwitching root\b/,
    /\b(?:Starting|Reached target) (?:initrd-switch-root\.(?:service|target) - )?Switch Root\b/,
    /\bWelcome to (?!GRUB!)(?!.*\(Initramfs\)).+!$/, // systemd's welcome in the real root
  ],
};

const DEFAULT_MARKER = /\bDAY0-BOOT-CHECK [0-9a-f]+ (?:OK|FAIL)\b/;

// CSI/OSC/charset/single-character escapes, then other control characters except tab.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[@-Z\\-_]|\x1bc|[\x00-\x08\x0b-\x1f\x7f]/g;

/** A console line as the patterns see it: no escape sequences or control characters, no surrounding blanks. */
export function cleanConsoleLine(line: string): string {
  return line.replace(ESCAPES, '').trim();
}

/** The furthest phase `line` shows, given a marker pattern; undefined when it shows none. */
export function phaseOfLine(line: string, marker: RegExp = DEFAULT_MARKER): BootPhase | undefined {
  const l = cleanConsoleLine(line);
  if (!l) return undefined;
  if (marker.test(l)) return 'marker';
  for (let i = BOOT_PHASES.length - 2; i >= 1; i--) {
    const phase = BOOT_PHASES[i] as keyof typeof PATTERNS;
    if (PATTERNS[phase].some((re) => re.test(l))) return phase;
  }
  return undefined;
}

const rank = (p: BootPhase) => BOOT_PHASES.indexOf(p);

export interface PhaseTrackerOptions {
  /** The marker line: a string it contains (the run's `DAY0-BOOT-CHECK <nonce> OK`) or a pattern. */
  marker?: string | RegExp;
  /** When the firmware phase begins (seconds since QEMU start; default 0). */
  start?: number;
}

/** Feed console lines in order; it tells when the boot moves to a later phase. */
export class PhaseTracker {
  private readonly spans: { phase: BootPhase; start: number }[];
  private readonly marker: RegExp;
  private last: number;

  constructor(opts: PhaseTrackerOptions = {}) {
    const start = opts.start ?? 0;
    this.spans = [{ phase: 'firmware', start }];
    this.last = start;
    const m = opts.marker;
    this.marker = m === undefined ? DEFAULT_MARKER : typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m;
  }

  /** The phase the boot is in now. */
  get current(): BootPhase {
    return this.spans[this.spans.length - 1]!.phase;
  }

  /** One console line seen `t` seconds after QEMU started; returns the change when it starts a later phase. */
  push(line: string, t: number): PhaseChange | undefined {
    if (t > this.last) this.last = t;
    const previous = this.current;
    if (previous === 'marker') return undefined;
    const phase = phaseOfLine(line, this.marker);
    if (!phase || rank(phase) <= rank(previous)) return undefined;
    // Times never run backwards within a boot, even if a caller's clock does.
    const at = Math.max(t, this.spans[this.spans.length - 1]!.start);
    this.spans.push({ phase, start: at });
    return { phase, previous, t: at, line: cleanConsoleLine(line) };
  }

  /** Note the passing of time without a line (so the open phase's end moves on). */
  tick(t: number): void {
    if (t > this.last) this.last = t;
  }

  /** Every phase seen so far, in order; the open one ends at the last time seen (the marker is an instant). */
  phases(): PhaseSpan[] {
    return this.spans.map((s, i) => {
      const next = this.spans[i + 1];
      const end = next ? next.start : s.phase === 'marker' ? s.start : Math.max(this.last, s.start);
      return { phase: s.phase, start: s.start, end };
    });
  }
}

/** Seconds spent in each phase (phases not seen are absent), e.g. for a table. */
export function phaseDurations(spans: readonly PhaseSpan[]): Partial<Record<BootPhase, number>> {
  const out: Partial<Record<BootPhase, number>> = {};
  for (const s of spans) out[s.phase] = (out[s.phase] ?? 0) + (s.end - s.start);
  return out;
}
