// Reading a guest's serial console: did it reach the marker, or what went wrong? Pure; tested on real logs.

export type FailureKind =
  | 'ignition-failed'
  | 'emergency-shell'
  | 'kernel-panic'
  | 'kernel-oops'
  | 'no-bootable-device'
  | 'config-missing'
  | 'expectation-failed'
  | 'install-failed';

export interface ConsoleFinding {
  kind: FailureKind;
  reason: string;
  line: string;
}

const RULES: { kind: FailureKind; reason: string; re: RegExp }[] = [
  { kind: 'ignition-failed', reason: 'Ignition failed', re: /Failed to start .*Ignition \((?:fetch-offline|fetch|kargs|disks|mount|files)\)|ignition-(?:fetch-offline|fetch|kargs|disks|mount|files)\.service: (?:Main process exited, code=(?:exited, status=(?!0\/)|killed|dumped)|Failed with result)/ },
  // The installer on a live system (coreos-installer.service) failed; its own error is in the lines before.
  { kind: 'install-failed', reason: 'the installer failed', re: /Failed to start (?:coreos-installer\.service|.*CoreOS Installer)|coreos-installer\.service: (?:Main process exited, code=(?:exited, status=(?!0\/)|killed|dumped)|Failed with result)/ },
  // The demo OS (hack/demo) stops rather than consume first boot without its config, and says why.
  { kind: 'config-missing', reason: 'the OS stopped: its Ignition config source is missing', re: /day0: FATAL: / },
  { kind: 'kernel-panic', reason: 'kernel panic', re: /Kernel panic - not syncing/ },
  { kind: 'kernel-oops', reason: 'kernel Oops', re: /\bOops: |BUG: unable to handle|BUG: kernel NULL pointer/ },
  { kind: 'emergency-shell', reason: 'emergency shell', re: /You are in emergency mode|Entering emergency mode|Give root password for maintenance|Cannot open access to console, the root account is locked|dracut Warning: Could not boot|Starting (?:\S+\.service - )?(?:Dracut )?Emergency Shell/ },
  { kind: 'no-bootable-device', reason: 'firmware found no bootable device', re: /No bootable device|No bootable option or device was found|Boot failed: not a bootable disk|No more network devices|Boot Failed\. EFI/ },
];

/** Scan one console line for a failure. Order matters: Ignition failures also lead to emergency mode. */
export function classifyLine(line: string): ConsoleFinding | undefined {
  for (const r of RULES) if (r.re.test(line)) return { kind: r.kind, reason: r.reason, line: line.trim() };
  return undefined;
}

/** Splits a stream of console chunks into lines and keeps the last N for reports. */
export class ConsoleTail {
  private partial = '';
  private readonly lines: string[] = [];
  constructor(private readonly keep = 40) {}

  /** Feed a chunk; returns the complete lines it finished. */
  push(chunk: string): string[] {
    const text = this.partial + chunk.replace(/\r/g, '');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const l of parts) {
      this.lines.push(stripAnsi(l));
      if (this.lines.length > this.keep) this.lines.shift();
    }
    return parts.map(stripAnsi);
  }

  last(n = this.keep): string[] {
    const all = this.partial ? [...this.lines, stripAnsi(this.partial)] : [...this.lines];
    return all.slice(-n);
  }
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[@-Z\\-_]|\x1bc/g, '');
}
