// The boot check's own Ignition additions: a script and a unit that, once the system is up, check the user's
// expectations and write one line with a per-run nonce to the console. Merged into the user's config, never
// replacing it. Pure.
import { randomBytes } from 'node:crypto';
import { Day0Error } from '../util/errors.js';

export interface Expectations {
  /** Paths that must exist on the booted system. */
  files: string[];
  /** Units that must be active. */
  units: string[];
}

export interface Marker {
  nonce: string;
  /** Console line prefix meaning success / failure. */
  ok: string;
  fail: string;
}

export function newMarker(): Marker {
  const nonce = randomBytes(8).toString('hex');
  return { nonce, ok: `DAY0-BOOT-CHECK ${nonce} OK`, fail: `DAY0-BOOT-CHECK ${nonce} FAIL` };
}

const SAFE_PATH = /^\/[A-Za-z0-9._@+\-/]*$/;
const SAFE_UNIT = /^[A-Za-z0-9:_.@\-\\]+\.(service|socket|target|mount|timer|path|swap|device|scope|slice|automount)$/;

export function checkExpectations(e: Expectations): void {
  for (const f of e.files) {
    if (!SAFE_PATH.test(f)) throw new Day0Error(`--expect-file ${JSON.stringify(f)} is not a plain absolute path`, { fix: 'give an absolute path of letters, digits and . _ @ + - /' });
  }
  for (const u of e.units) {
    if (!SAFE_UNIT.test(u)) throw new Day0Error(`--expect-unit ${JSON.stringify(u)} is not a systemd unit name`, { fix: 'give a full unit name, e.g. sshd.service' });
  }
}

export const CHECK_SCRIPT_PATH = '/etc/day0/boot-check.sh';

export function checkScript(m: Marker, e: Expectations, consoleDevice: string): string {
  const lines = ['#!/bin/sh', '# Written by day0 check-boot: verify expectations, then report on the console.', 'problems=""'];
  for (const f of e.files) lines.push(`[ -e '${f}' ] || problems="$problems missing-file:${f}"`);
  for (const u of e.units) lines.push(`systemctl is-active --quiet '${u}' || problems="$problems inactive-unit:${u}"`);
  lines.push(
    `if [ -z "$problems" ]; then msg='${m.ok}'; else msg="${m.fail}$problems"; fi`,
    `echo "$msg" > /dev/${consoleDevice}`,
    'echo "$msg" > /dev/kmsg 2>/dev/null || true',
    '',
  );
  return lines.join('\n');
}

export function checkUnit(e: Expectations): string {
  const after = ['systemd-user-sessions.service', ...e.units].join(' ');
  return [
    '[Unit]',
    'Description=day0 boot check',
    `After=${after}`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/sh ${CHECK_SCRIPT_PATH}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The Ignition fragment (spec 3.0 fields only, so any 3.x config can take it). */
export function markerFragment(m: Marker, e: Expectations, consoleDevice: string): {
  storage: { files: unknown[] };
  systemd: { units: unknown[] };
} {
  checkExpectations(e);
  const script = checkScript(m, e, consoleDevice);
  return {
    storage: {
      files: [{
        path: CHECK_SCRIPT_PATH,
        mode: 0o755,
        overwrite: true,
        contents: { source: `data:,${encodeURIComponent(script)}` },
      }],
    },
    systemd: { units: [{ name: 'day0-boot-check.service', enabled: true, contents: checkUnit(e) }] },
  };
}
