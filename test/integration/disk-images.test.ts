// Real disk-image builds from the demo layered image, then QEMU (TCG) boots to a marker written by a unit that
// the Ignition config installed. Four boots in two parallel chains (never more than 2 QEMUs):
//   A: metal raw, SeaBIOS, first boot (config baked on /boot)   →  the same disk under OVMF, second boot
//   B: metal4k raw on a 4k-sector virtio disk, OVMF, first boot  →  qcow2, SeaBIOS, config through fw_cfg
// The marker line carries whether the layered content is present and whether this is the first or a later
// boot (a file the unit wrote on first boot). Second boot: no Ignition (files) on the console.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeContext, type Context } from '../../src/cli/context.js';
import { buildDiskImages, type DiskBuildResult } from '../../src/disk/build.js';
import { probeAccel } from '../../src/qemu/accel.js';
import type { BootMedium, Firmware } from '../../src/qemu/args.js';
import { bootAndWatch, type BootOutcome } from '../../src/qemu/runner.js';
import { osbuildReferenceDir, validateManifest } from '../../src/manifest/validate.js';
import { demoBootable } from '../helpers/disk-demo-image.js';

const NONCE = randomBytes(6).toString('hex');
const MARKER = `DAY0-DISK-MARKER-${NONCE}`;
const INFO = /DAY0-DISK-MARKER-\w+ layered=(\w+) boot=(\w+)/;
const BOOT_TIMEOUT_MS = 8 * 60_000;

function markerScript(): string {
  return [
    '#!/bin/sh',
    'state=/var/lib/day0-test/booted-once',
    'if [ -e /etc/ipsec.d/my-host-to-host.conf ]; then layered=yes; else layered=no; fi',
    'if [ -e "$state" ]; then boot=second; else boot=first; fi',
    'mkdir -p /var/lib/day0-test && touch "$state" && sync',
    `echo "${MARKER} layered=$layered boot=$boot" > /dev/ttyS0`,
    '',
  ].join('\n');
}

export function markerConfig(): Buffer {
  const unit = ['[Unit]', 'Description=day0 disk-image test marker', '[Service]', 'Type=oneshot', 'ExecStart=/usr/local/bin/day0-marker', '[Install]', 'WantedBy=multi-user.target', ''].join('\n');
  return Buffer.from(JSON.stringify({
    ignition: { version: '3.3.0' },
    storage: { files: [{ path: '/usr/local/bin/day0-marker', mode: 0o755, contents: { source: `data:,${encodeURIComponent(markerScript())}` } }] },
    systemd: { units: [{ name: 'day0-marker.service', enabled: true, contents: unit }] },
  }));
}

let ctx: Context;
let outDir: string;
let build: DiskBuildResult;
const file = (f: string) => build.outputs.find((o) => o.format === f)!.path;

async function boot(name: string, medium: BootMedium, firmware: Firmware, fwCfg?: string): Promise<BootOutcome> {
  const workDir = join(outDir, `boot-${name}`);
  await mkdir(workDir, { recursive: true });
  const accel = (await probeAccel(ctx.exec, ctx.profile)).accel;
  const out = await bootAndWatch(ctx.exec, {
    profile: ctx.profile,
    medium,
    firmware,
    accel,
    ...(firmware === 'uefi' ? { uefiVars: join(workDir, 'vars.fd') } : {}),
    ...(fwCfg ? { platformIgnition: fwCfg } : {}),
  }, { marker: MARKER, timeoutMs: BOOT_TIMEOUT_MS, workDir, binds: [{ path: outDir }], capture: { info: INFO }, graceMs: 5000 });
  process.stdout.write(`boot ${name}: ${out.verdict} in ${out.seconds} s${out.reason ? ` (${out.reason})` : ''}\n`);
  if (out.verdict !== 'pass') process.stdout.write(`  last lines:\n    ${out.lastLines.join('\n    ')}\n`);
  return out;
}

function haveReference(): boolean {
  try {
    return existsSync(osbuildReferenceDir());
  } catch {
    return false;
  }
}

function info(o: BootOutcome): { layered?: string; boot?: string } {
  const m = INFO.exec(o.matched.info ?? '');
  return m ? { layered: m[1], boot: m[2] } : {};
}

beforeAll(async () => {
  ctx = await makeContext('x86_64');
  outDir = join(process.env.DAY0_TEST_OUT ?? '/var/tmp', `day0-disk-it-${NONCE}`);
  await mkdir(outDir, { recursive: true });
  const bootable = await demoBootable();
  const t0 = Date.now();
  build = await buildDiskImages(ctx, bootable, {
    formats: ['metal', 'metal4k', 'qemu', 'vmware', 'azure'],
    ignition: markerConfig(),
    outDir,
    name: 'demo',
    emitManifest: join(outDir, 'manifest.json'),
  });
  process.stdout.write(`built ${build.outputs.length} disk images in ${((Date.now() - t0) / 1000).toFixed(1)} s; pipelines: ${JSON.stringify(build.timings)}\n`);
});

afterAll(async () => {
  if (outDir && !process.env.DAY0_KEEP_TEST_OUTPUT) await rm(outDir, { recursive: true, force: true });
});

describe('disk images from the demo layered image', () => {
  test('outputs: names, sizes, formats, no leftovers, manifest emitted 0600 and valid', async () => {
    const names = build.outputs.map((o) => o.path.split('/').pop()).sort();
    expect(names).toEqual(['demo-azure.x86_64.vhd', 'demo-metal.x86_64.raw', 'demo-metal4k.x86_64.raw', 'demo-qemu.x86_64.qcow2', 'demo-vmware.x86_64.vmdk']);
    for (const o of build.outputs) expect(o.sha256).toMatch(/^[0-9a-f]{64}$/);
    const info = async (f: string) => {
      const r = await ctx.exec.run({ argv: ['qemu-img', 'info', '--output=json', f], binds: [{ path: outDir, readonly: true }] });
      return JSON.parse(r.stdout) as { format: string; 'virtual-size': number };
    };
    expect((await info(file('qemu'))).format).toBe('qcow2');
    expect((await info(file('vmware'))).format).toBe('vmdk');
    // A fixed VHD is the raw disk plus a 512-byte footer ("conectix", disk type 2 = fixed, size = whole MiB).
    const azure = build.outputs.find((o) => o.format === 'azure')!;
    expect(azure.bytes).toBe(4096 * 1024 * 1024 + 512);
    const { open } = await import('node:fs/promises');
    const h = await open(azure.path, 'r');
    try {
      const footer = Buffer.alloc(512);
      await h.read(footer, 0, 512, azure.bytes - 512);
      expect(footer.subarray(0, 8).toString('latin1')).toBe('conectix');
      expect(footer.readUInt32BE(60)).toBe(2);
      expect(Number(footer.readBigUInt64BE(48)) % (1024 * 1024)).toBe(0);
    } finally {
      await h.close();
    }
    // Nothing but outputs, the manifest and boot dirs in outDir: the work dir is gone.
    const { readdir, stat } = await import('node:fs/promises');
    expect((await readdir(outDir)).filter((n) => n.startsWith('day0-'))).toEqual([]);
    expect((await stat(join(outDir, 'manifest.json'))).mode & 0o777).toBe(0o600);
    if (haveReference()) {
      const r = validateManifest(JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')));
      expect(r.issues).toEqual([]);
    }
    // No loop device left behind by the build.
    const loops = (await ctx.exec.run({ argv: ['losetup', '-a'] })).stdout;
    expect(loops).not.toContain(outDir);
  });

  test('metal4k: GPT at 4096-byte LBAs', async () => {
    const { open } = await import('node:fs/promises');
    const h = await open(file('metal4k'), 'r');
    try {
      const b = Buffer.alloc(8);
      await h.read(b, 0, 8, 4096);
      expect(b.toString('latin1')).toBe('EFI PART');
    } finally {
      await h.close();
    }
  });

  describe.concurrent('boots (TCG)', () => {
    test('chain A: metal raw — SeaBIOS first boot runs Ignition; OVMF second boot does not', async () => {
      const medium: BootMedium = { kind: 'disk', path: file('metal'), format: 'raw', sectorSize: 512 };
      const first = await boot('metal-bios', medium, 'bios');
      expect(first.verdict).toBe('pass');
      expect(info(first)).toEqual({ layered: 'yes', boot: 'first' });
      const log1 = await readFile(first.consoleLog, 'utf8');
      expect(log1).toMatch(/ignition\.firstboot/);
      expect(log1).toMatch(/Ignition \(files\)/);

      const second = await boot('metal-uefi-second', medium, 'uefi');
      expect(second.verdict).toBe('pass');
      expect(info(second)).toEqual({ layered: 'yes', boot: 'second' });
      const log2 = await readFile(second.consoleLog, 'utf8');
      expect(log2).not.toMatch(/Ignition \(files\)/);
      expect(log2).not.toMatch(/ignition\.firstboot/);
    });

    test('chain B: metal4k on a 4k virtio disk (OVMF), then qcow2 with the config through fw_cfg (SeaBIOS)', async () => {
      const k4 = await boot('metal4k-uefi', { kind: 'disk', path: file('metal4k'), format: 'raw', sectorSize: 4096 }, 'uefi');
      expect(k4.verdict).toBe('pass');
      expect(info(k4)).toEqual({ layered: 'yes', boot: 'first' });

      const cfg = join(outDir, 'fwcfg.ign');
      await writeFile(cfg, markerConfig(), { mode: 0o600 });
      const q = await boot('qcow2-bios', { kind: 'disk', path: file('qemu'), format: 'qcow2' }, 'bios', cfg);
      expect(q.verdict).toBe('pass');
      expect(info(q)).toEqual({ layered: 'yes', boot: 'first' });
      expect(await readFile(q.consoleLog, 'utf8')).toMatch(/ignition\.platform\.id=qemu/);
    });
  });
});
