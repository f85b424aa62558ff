// The boot report page in a real browser: Debian's chromium, headless, renders a sample report; the test reads the
// matrix back from the DOM chromium built and looks at the screenshot's pixels for the verdict colours.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml, type ReportCell } from '../../src/checkboot/html.js';
import { PhaseTracker } from '../../src/checkboot/phases.js';

const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);

/** A console log for a boot that reaches `upTo` lines of this script, one line every `step` seconds from `t0`. */
const SCRIPT = [
  'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
  'Booting from DVD/CD...',
  'ISOLINUX 6.04 20200816 ETCD Copyright (C) 1994-2015 H. Peter Anvin et al',
  '[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1',
  '[    0.000000] Kernel command line: coreos.liveiso=DAY0LIVE ignition.firstboot ignition.platform.id=metal console=ttyS0,115200n8',
  '[    2.905511] Run /init as init process',
  'Welcome to Debian GNU/Linux 12 (bookworm) dracut-059-4 (Initramfs)!',
  '         Starting ignition-fetch-offline.service - Ignition (fetch-offline)...',
  '[    9.120000] ignition[612]: Ignition 2.14.0',
  '         Starting ignition-disks.service - Ignition (disks)...',
  '         Starting ignition-files.service - Ignition (files)...',
  '[  OK  ] Reached target initrd-switch-root.target - Switch Root.',
  '[   17.002000] systemd[1]: Switching root.',
  'Welcome to Debian GNU/Linux 12 (bookworm)!',
  '[  OK  ] Reached target multi-user.target - Multi-User System.',
  'DAY0-BOOT-CHECK 00ff00ff00ff00ff OK',
];

function cell(medium: string, firmware: string, opts: { step: number; upTo?: number; verdict?: ReportCell['verdict']; kind?: string; reason?: string; extra?: string[]; stalled?: number }): ReportCell {
  const lines = [...SCRIPT.slice(0, opts.upTo ?? SCRIPT.length), ...(opts.extra ?? [])];
  const tr = new PhaseTracker({ marker: 'DAY0-BOOT-CHECK 00ff00ff00ff00ff' });
  lines.forEach((l, i) => tr.push(l, (i + 1) * opts.step));
  const seconds = lines.length * opts.step + (opts.stalled ?? 0);
  tr.tick(seconds);
  const verdict = opts.verdict ?? 'pass';
  return {
    arch: 'x86_64', cellId: `${medium}-${firmware}`, medium, firmware, verdict, seconds, phases: tr.phases(),
    ...(verdict === 'pass' ? {} : { kind: opts.kind ?? verdict, reason: opts.reason ?? verdict }),
    consoleLog: `${lines.join('\n')}\n`, artifact: `demo-${medium}.x86_64`, consoleLogPath: `out/check-boot/${medium}-${firmware}.log`,
  };
}

const CELLS: ReportCell[] = [
  cell('iso', 'bios', { step: 2.1 }),
  cell('iso', 'uefi', { step: 2.4 }),
  cell('pxe-direct', 'bios', { step: 2.0 }),
  cell('pxe-net', 'bios', { step: 2.6 }),
  cell('metal', 'bios', { step: 2.3 }),
  cell('metal', 'uefi', { step: 2.2, upTo: 4, verdict: 'fail', kind: 'kernel-panic', reason: 'kernel panic: Kernel panic - not syncing: IO-APIC + timer doesn\'t work!', extra: ['[    1.100000] Kernel panic - not syncing: IO-APIC + timer doesn\'t work!  Boot with apic=debug and send a report.'] }),
  cell('metal4k', 'uefi', { step: 2.5, upTo: 8, verdict: 'timeout', kind: 'timeout', reason: 'no console output for 300 s (stalled in ignition-fetch)', stalled: 300 }),
  cell('qemu', 'uefi', { step: 2.2 }),
];

/** Width, height and RGBA pixels of an 8-bit RGB/RGBA non-interlaced PNG (what chromium writes). */
function decodePng(png: Buffer): { width: number; height: number; px: (x: number, y: number) => [number, number, number] } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let off = 8;
  let width = 0, height = 0, colourType = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      colourType = data[9]!;
      expect(data[12]).toBe(0); // not interlaced
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  expect(bpp, `PNG colour type ${colourType}`).toBeGreaterThan(0);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[y * stride + i - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? out[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1
        : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out[y * stride + i] = (src[i]! + pred) & 0xff;
    }
  }
  return { width, height, px: (x, y) => [out[y * stride + x * bpp]!, out[y * stride + x * bpp + 1]!, out[y * stride + x * bpp + 2]!] };
}

const text = (html: string) => html.replace(/<br>/g, ' ').replace(/<[^>]+>/g, '').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();

describe('check-boot.html in headless Chromium', () => {
  let dir: string;
  let page: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run this test`);
    }
    dir = await mkdtemp(join(tmpdir(), 'day0-report-html-'));
    page = join(dir, 'check-boot.html');
    await writeFile(page, renderReportHtml({ cells: CELLS, accel: 'tcg', accelReason: 'no /dev/kvm', generatedAt: '2026-12-02 10:00 UTC' }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** chromium with a fresh profile, nothing phoning home; returns stdout. */
  async function chromium(profile: string, ...args: string[]): Promise<string> {
    const { stdout } = await run(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${join(dir, profile)}`, ...args, `file://${page}`,
    ], { timeout: 180_000, maxBuffer: 64 * 2 ** 20 });
    return stdout;
  }

  it('the matrix a person sees: media by firmware, with verdicts and seconds', async () => {
    const dom = await chromium('profile-dom', '--dump-dom');
    const table = /<table class="matrix">([\s\S]*?)<\/table>/.exec(dom)?.[1];
    expect(table, 'the DOM chromium built has the matrix').toBeDefined();
    const rows = [...table!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => text(c[1]!)));
    expect(rows).toEqual([
      ['x86_64', 'bios', 'uefi'],
      ['iso', `PASS ${(2.1 * 16).toFixed(1)} s`, `PASS ${(2.4 * 16).toFixed(1)} s`],
      ['pxe-direct', 'PASS 32.0 s', '—'],
      ['pxe-net', 'PASS 41.6 s', '—'],
      ['metal', 'PASS 36.8 s', 'FAIL kernel-panic'],
      ['metal4k', '—', 'TIMEOUT timeout'],
      ['qemu', '—', 'PASS 35.2 s'],
    ]);
    expect(text(dom)).toContain('6/8 boots reached the marker');
    // the failed cell's reason and its console log (collapsed, escaped) are in the page
    expect(dom).toContain('kernel panic: Kernel panic - not syncing: IO-APIC + timer doesn\'t work!');
    expect(dom).toMatch(/<details><summary>console log \(5 lines\)/);
  });

  it('the screenshot shows the page: verdict colours, timelines, not a blank frame', async () => {
    const shot = join(dir, 'shot.png');
    await chromium('profile-shot', '--window-size=1280,1400', `--screenshot=${shot}`);
    const png = await readFile(shot);
    expect(png.length).toBeGreaterThan(30_000);
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([1280, 1400]);
    const counts = new Map<string, number>();
    for (let y = 0; y < img.height; y += 2) {
      for (let x = 0; x < img.width; x += 2) {
        const k = img.px(x, y).join(',');
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    const near = (rgb: [number, number, number]) =>
      [...counts].filter(([k]) => k.split(',').every((v, i) => Math.abs(Number(v) - rgb[i]!) <= 6)).reduce((a, [, n]) => a + n, 0);
    expect(counts.size, 'distinct colours').toBeGreaterThan(100);
    expect(near([0x1a, 0x7f, 0x37]), 'PASS badges (green)').toBeGreaterThan(200);
    expect(near([0xcf, 0x22, 0x2e]), 'FAIL badge (red)').toBeGreaterThan(50);
    expect(near([0x4c, 0x78, 0xa8]), 'kernel phase bars (blue)').toBeGreaterThan(200);
    expect(near([0xff, 0xff, 0xff]) / ((img.width * img.height) / 4), 'share of white').toBeLessThan(0.95);
    if (process.env.DAY0_KEEP_SCREENSHOT) await writeFile(process.env.DAY0_KEEP_SCREENSHOT, png);
  });
});
