// zipl disks (IBM Z) boot twice from the same disk: zipl baked the command line into the bootmap, ignition.firstboot
// included, so the first boot runs Ignition; the demo OS then reruns zipl without it (hack/demo/zipl, as CoreOS's
// firstboot-complete does), so the second boot does not run Ignition again and the config's files persist.
// `day0 build --arch <arch> -f metal` on the demo layered image for every profile whose disks boot with zipl,
// then QEMU (TCG) boots of the published disk image (this test's own output), one after the other.
// Then the install flow onto a zipl disk (below).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeContext, type Context } from '../../src/cli/context.js';
import { bootModes } from '../../src/profiles/boot.js';
import { probeAccel } from '../../src/qemu/accel.js';
import { bootAndWatch, type BootOutcome } from '../../src/qemu/runner.js';
import { EACH_PROFILE } from '../helpers/profiles.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DAY0 = join(ROOT, 'bin', 'day0.js');
const DEMO = process.env.DAY0_TEST_DEMO_INDEX ?? 'localhost:5000/day0/demo-layered:latest';
const NONCE = randomBytes(6).toString('hex');
const MARKER = `DAY0-ZIPL-MARKER-${NONCE}`;
const INFO = /DAY0-ZIPL-MARKER-\w+ boot=(\w+)/;
const BOOT_TIMEOUT_MS = 15 * 60_000;
const work = mkdtempSync(join(tmpdir(), 'day0-zipl-test-'));
const ZIPL = EACH_PROFILE.filter(([, p]) => bootModes(p).some((m) => m.disk === 'zipl'));

function markerConfig(consoleDev: string): string {
  const script = [
    '#!/bin/sh',
    'state=/var/lib/day0-test/booted-once',
    'if [ -e "$state" ]; then boot=second; else boot=first; fi',
    'mkdir -p /var/lib/day0-test && touch "$state" && sync',
    `echo "${MARKER} boot=$boot" > /dev/${consoleDev}`,
    '',
  ].join('\n');
  // After the bootmap rewrite, so a marker on the first boot means the rewrite already ran (or was skipped).
  const unit = ['[Unit]', 'Description=day0 zipl test marker', 'After=day0-zipl-firstboot.service', '[Service]', 'Type=oneshot',
    'ExecStart=/usr/local/bin/day0-marker', '[Install]', 'WantedBy=multi-user.target', ''].join('\n');
  return JSON.stringify({
    ignition: { version: '3.3.0' },
    storage: { files: [{ path: '/usr/local/bin/day0-marker', mode: 0o755, contents: { source: `data:,${encodeURIComponent(script)}` } }] },
    systemd: { units: [{ name: 'day0-marker.service', enabled: true, contents: unit }] },
  });
}

afterAll(() => {
  if (!process.env.DAY0_KEEP_TEST_OUTPUT) rmSync(work, { recursive: true, force: true });
});

describe.each(ZIPL)('%s: a zipl disk runs Ignition on its first boot only', (arch, profile) => {
  let ctx: Context;
  let disk: string;
  const mode = bootModes(profile).find((m) => m.disk === 'zipl')!;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ missing: run `npx tsc -p tsconfig.json` (hack/test.sh does)');
    const reg = spawnSync('bash', [join(ROOT, 'hack', 'registry.sh')], { encoding: 'utf8' });
    if (reg.status !== 0) throw new Error(`local registry not running: ${reg.stderr}`);
    const cfg = join(work, `${arch}.ign`);
    writeFileSync(cfg, markerConfig(profile.console.devices[0]!), { mode: 0o600 });
    const out = join(work, arch);
    const r = spawnSync('node', [DAY0, 'build', DEMO, '--arch', arch, '--tls-verify=false', '-i', cfg, '-f', 'metal', '-o', out, '--name', 'zipl'],
      { encoding: 'utf8', timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`day0 build failed (${r.status}): ${r.stderr.slice(-3000)}`);
    disk = join(out, arch, `zipl-metal.${arch}.raw`);
  }, 25 * 60_000);

  async function boot(name: string): Promise<BootOutcome> {
    ctx ??= await makeContext(arch);
    const workDir = mkdtempSync(join(work, `boot-${name}-`));
    const accel = (await probeAccel(ctx.exec, ctx.profile)).accel;
    const o = await bootAndWatch(ctx.exec, { profile: ctx.profile, medium: { kind: 'disk', path: disk, format: 'raw', sectorSize: 512 }, firmware: mode.name, accel },
      { marker: MARKER, timeoutMs: BOOT_TIMEOUT_MS, workDir, binds: [{ path: work }], capture: { info: INFO }, graceMs: 5000 });
    process.stdout.write(`${arch} ${name}: ${o.verdict} in ${o.seconds} s${o.reason ? ` (${o.reason})` : ''}\n`);
    if (o.verdict !== 'pass') process.stdout.write(`  last lines:\n    ${o.lastLines.join('\n    ')}\n`);
    return o;
  }
  const bootNo = (o: BootOutcome) => INFO.exec(o.matched.info ?? '')?.[1];

  test('first boot: Ignition runs, then the bootmap is rewritten; second boot: no Ignition, the files stay', async () => {
    const first = await boot('first');
    expect(first.verdict).toBe('pass');
    expect(bootNo(first)).toBe('first');
    const log1 = readFileSync(first.consoleLog, 'utf8');
    expect(log1).toMatch(/Kernel command line:.*ignition\.firstboot/);
    expect(log1).toMatch(/Ignition \(files\)/);
    expect(log1).toMatch(/zipl bootmap rewritten without ignition\.firstboot/);

    const second = await boot('second');
    expect(second.verdict).toBe('pass');
    expect(bootNo(second)).toBe('second');
    const log2 = readFileSync(second.consoleLog, 'utf8');
    expect(log2).toMatch(/Kernel command line:/);
    expect(log2).not.toMatch(/Kernel command line:.*ignition\.firstboot/);
    expect(log2).not.toMatch(/Ignition \(files\)/);
  }, 2 * BOOT_TIMEOUT_MS + 60_000);
});

// The install flow on a zipl platform: the live ISO's installer writes the metal image, edits the BLS entry's
// kernel arguments and must write the bootmap again (zipl baked the old command line in), as coreos-installer runs
// zipl on s390x; the target disk then boots alone with the appended argument on its command line.
describe.each(ZIPL)('%s: an install onto a zipl disk applies its kernel arguments', (arch) => {
  const karg = `day0.zipl_test=${NONCE}`;
  const out = join(work, `${arch}-install`);
  let code: number | null;
  let stdout = '';
  let results: { medium: string; verdict: string; reason?: string; consoleLog: string; install?: { consoleLog: string }; lastLines?: string[] }[];

  beforeAll(() => {
    const r = spawnSync('node', [DAY0, 'build', DEMO, '--arch', arch, '--tls-verify=false', '-f', 'iso', '-o', out,
      '--dest-device', '/dev/vda', '--dest-ignition', join(ROOT, 'hack/demo/install.ign'), '--dest-karg-append', karg,
      '--check-boot', '--progress', 'plain'], { encoding: 'utf8', timeout: 40 * 60_000 });
    code = r.status;
    stdout = r.stdout;
    if (!existsSync(join(out, 'build.json'))) throw new Error(`build failed (${r.status}): ${r.stderr.slice(-3000)}`);
    results = (JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { checkBoot: { results: typeof results } }).checkBoot.results;
  }, 45 * 60_000);

  test('the install cell passes; the installer rewrote the bootmap; the target boots with --dest-karg-append and first boot', () => {
    for (const r of results) if (r.verdict !== 'pass') process.stdout.write(`${r.medium} ${r.reason}\n  ${r.lastLines?.join('\n  ')}\n`);
    expect(results.map((r) => [r.medium, r.verdict])).toEqual([[expect.stringMatching(/^iso-install-/), 'pass']]);
    expect(code).toBe(0);
    expect(stdout).toContain('1/1 media booted with Ignition applied');
    const live = readFileSync(results[0]!.install!.consoleLog, 'utf8');
    expect(live).toMatch(/day0-zipl: bootmap written from /);
    expect(live).toContain('Install complete.');
    const cmdline = /Kernel command line: (.*)/.exec(readFileSync(results[0]!.consoleLog, 'utf8'))![1]!.trim().split(/\s+/);
    expect(cmdline).toContain(karg);
    expect(cmdline).toContain('ignition.firstboot');
    expect(cmdline.some((a) => a.startsWith('coreos.liveiso='))).toBe(false);
  });
});
