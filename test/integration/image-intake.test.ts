// Image intake against real tools: the local demo registry, skopeo and umoci in the builder, images crafted here
// (multi-arch indexes, whiteouts, hostile layers, no kernel) and a second registry with basic auth.
// Every test uses its own DAY0_CACHE; nothing touches the user's cache.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { makeExecutor, type Executor, type RunSpec } from '../../src/executor/index.js';
import { PodmanExecutor } from '../../src/executor/podman.js';
import { cachePaths, listCache, pruneCache, releaseEntry } from '../../src/image/cache.js';
import { inspectImage, intake } from '../../src/image/intake.js';
import { pullImage } from '../../src/image/pull.js';
import { unpackImage } from '../../src/image/unpack.js';
import { Day0Error } from '../../src/util/errors.js';
import { cpio } from '../helpers/cpio.js';

const ROOT = join(import.meta.dirname, '..', '..');
const REG = 'localhost:5000';
const BASE = `${REG}/day0/demo-base:latest`;
const LAYERED = `${REG}/day0/demo-layered:latest`;
const ARCHIVE = join(process.env.DAY0_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'day0'), 'demo', 'demo-layered.oci.tar');
const REAL_CACHE_ENV = process.env.DAY0_CACHE;

const work = mkdtempSync(join(tmpdir(), 'day0-intake-it-'));
let exec: Executor;

/** A fresh cache for a test (or a group of tests): DAY0_CACHE points at it from now on. */
function useCache(name: string): string {
  const d = join(work, `cache-${name}`);
  mkdirSync(d, { recursive: true });
  process.env.DAY0_CACHE = d;
  return d;
}

/** Records every command the executor runs (for "no pull, no unpack" and "no secret in argv" assertions). */
function spy(): { ctx: { exec: Executor }; specs: RunSpec[]; outputs: string[] } {
  const specs: RunSpec[] = [];
  const outputs: string[] = [];
  const wrapped: Executor = {
    mode: exec.mode,
    describe: () => exec.describe(),
    run: async (spec) => {
      specs.push(spec);
      const r = await exec.run(spec);
      outputs.push(r.stdout, r.stderr);
      return r;
    },
  };
  return { ctx: { exec: wrapped }, specs, outputs };
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function rawRef(ref: string): Promise<Buffer> {
  const r = await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'buffer' });
  return Buffer.from(r.stdout);
}

/**
 * The amd64 image manifest behind a demo tag (the demo images are multi-arch indexes), read with skopeo alone;
 * `index` is the index's bytes when the tag names one.
 */
async function rawManifest(ref: string): Promise<Buffer> {
  return (await rawImage(ref)).manifest;
}
async function rawImage(ref: string): Promise<{ manifest: Buffer; index?: Buffer }> {
  const top = await rawRef(ref);
  const doc = JSON.parse(top.toString()) as { manifests?: { digest: string; platform?: { architecture: string } }[] };
  if (!doc.manifests) return { manifest: top };
  const child = doc.manifests.find((m) => m.platform?.architecture === 'amd64');
  if (!child) throw new Error(`${ref}: the index has no linux/amd64 image`);
  return { manifest: await rawRef(`${ref.replace(/:[^:/]+$/, '')}@${child.digest}`), index: top };
}

// ---------------------------------------------------------------------------------------------------------------
// Crafting images: tar layers (ustar + pax), newc cpio, OCI layouts — by hand, so every byte is under test control.

interface TEnt {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'fifo';
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  link?: string;
  major?: number;
  minor?: number;
  xattrs?: Record<string, Buffer | string>;
}

function tar(entries: TEnt[]): Buffer {
  const out: Buffer[] = [];
  const octal = (b: Buffer, off: number, len: number, v: number) => b.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
  const header = (name: string, size: number, flag: string, e: Partial<TEnt>) => {
    const b = Buffer.alloc(512);
    b.write(name.slice(0, 100), 0, 100, 'utf8');
    octal(b, 100, 8, e.mode ?? 0o644);
    octal(b, 108, 8, e.uid ?? 0);
    octal(b, 116, 8, e.gid ?? 0);
    octal(b, 124, 12, size);
    octal(b, 136, 12, 1_700_000_000);
    b.write('        ', 148, 8, 'latin1');
    b.write(flag, 156, 1, 'latin1');
    b.write((e.link ?? '').slice(0, 100), 157, 100, 'utf8');
    b.write('ustar\0', 257, 6, 'latin1');
    b.write('00', 263, 2, 'latin1');
    octal(b, 329, 8, e.major ?? 0);
    octal(b, 337, 8, e.minor ?? 0);
    let sum = 0;
    for (const x of b) sum += x;
    b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    return b;
  };
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const recs: Buffer[] = [];
    const rec = (k: string, v: Buffer) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len++;
      recs.push(Buffer.concat([Buffer.from(String(len)), body]));
    };
    if (Buffer.byteLength(e.name) > 100) rec('path', Buffer.from(e.name));
    if (e.link && Buffer.byteLength(e.link) > 100) rec('linkpath', Buffer.from(e.link));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) rec(`SCHILY.xattr.${k}`, Buffer.from(v));
    if (recs.length) {
      const p = Buffer.concat(recs);
      out.push(header('PaxHeader', p.length, 'x', {}), p, pad(p.length));
    }
    const flag = { file: '0', dir: '5', symlink: '2', link: '1', char: '3', fifo: '6' }[e.type ?? 'file'];
    const size = (e.type ?? 'file') === 'file' ? data.length : 0;
    out.push(header(e.name, size, flag, { ...e, mode: e.mode ?? ((e.type ?? 'file') === 'dir' ? 0o755 : 0o644) }));
    if (size) out.push(data, pad(size));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}


/** A fake Ignition binary: the version stamp sits NUL-delimited, as Go's -X ldflags put it. */
const ignitionBinary = (stamp: string) => Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01 fake go binary '), Buffer.alloc(64), Buffer.from(stamp), Buffer.alloc(64)]);

/** The files of a tiny image that satisfies the boot contract. */
function bootableFiles(kver: string, initramfs: Buffer, osName = 'Tiny Test OS'): TEnt[] {
  return [
    { name: 'etc/', type: 'dir' },
    { name: 'etc/os-release', type: 'symlink', link: '../usr/lib/os-release' },
    { name: 'usr/', type: 'dir' },
    { name: 'usr/lib/', type: 'dir' },
    { name: 'usr/lib/os-release', data: `NAME="${osName}"\nID=tiny\nVERSION_ID=1\nPRETTY_NAME="${osName} 1"\n` },
    { name: 'usr/lib/modules/', type: 'dir' },
    { name: `usr/lib/modules/${kver}/`, type: 'dir' },
    { name: `usr/lib/modules/${kver}/vmlinuz`, data: Buffer.from(`MZ fake kernel ${kver}`) },
    { name: `usr/lib/modules/${kver}/initramfs.img`, data: initramfs },
  ];
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

function putBlob(dir: string, buf: Buffer): { digest: string; size: number } {
  const digest = sha(buf);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), buf);
  return { digest, size: buf.length };
}

function makeImage(dir: string, layers: TEnt[][], opts: { arch?: string; labels?: Record<string, string> } = {}): Desc {
  const descs = layers.map((entries) => {
    const t = tar(entries);
    return { diffId: sha(t), ...putBlob(dir, gzipSync(t)), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: opts.arch ?? 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Labels: opts.labels ?? { 'containers.bootc': '1' } },
      rootfs: { type: 'layers', diff_ids: descs.map((d) => d.diffId) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...putBlob(dir, config) },
      layers: descs.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    }),
  );
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...putBlob(dir, manifest) };
}

function makeIndex(dir: string, children: Desc[]): Desc {
  const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: children }));
  return { mediaType: 'application/vnd.oci.image.index.v1+json', ...putBlob(dir, idx) };
}

/** index.json naming each descriptor by tag. */
function writeLayout(dir: string, tagged: Record<string, Desc>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests = Object.entries(tagged).map(([tag, d]) => ({ ...d, annotations: { 'org.opencontainers.image.ref.name': tag } }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}

async function expectDay0Error(p: Promise<unknown>, re: RegExp): Promise<Day0Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Day0Error);
    expect((e as Error).message).toMatch(re);
    expect((e as Day0Error).fix).toBeTruthy();
    return e as Day0Error;
  }
  throw new Error(`expected a Day0Error matching ${re}`);
}

// ---------------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  const r = await execa('bash', [join(ROOT, 'hack/registry.sh')], { reject: false, env: REAL_CACHE_ENV ? { DAY0_CACHE: REAL_CACHE_ENV } : {} });
  if (r.exitCode !== 0) throw new Error(`the local registry did not start (bash hack/registry.sh):\n${r.stderr}`);
  for (const ref of [BASE, LAYERED]) {
    const i = await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { reject: false });
    if (i.exitCode !== 0) throw new Error(`${ref} is missing from the local registry: run bash hack/demo-images.sh`);
  }
  exec = makeExecutor(loadConfig());
});

afterAll(() => {
  if (REAL_CACHE_ENV === undefined) delete process.env.DAY0_CACHE;
  else process.env.DAY0_CACHE = REAL_CACHE_ENV;
  rmSync(work, { recursive: true, force: true });
});

describe('demo images', () => {
  let baseDigest: string;
  let layeredRaw: Buffer;

  it('inspects demo-base from the registry (plain HTTP, --tls-verify=false)', async () => {
    useCache('demo');
    const raw = await rawImage(BASE);
    baseDigest = sha(raw.manifest);
    const r = await inspectImage({ exec }, BASE, { arch: 'x86_64', tlsVerify: false });
    expect(r.digest).toBe(baseDigest);
    if (raw.index) expect(r.indexDigest).toBe(sha(raw.index));
    expect(r.pinned).toBe(`${REG}/day0/demo-base@${baseDigest}`);
    expect(r.arch).toBe('x86_64');
    expect(r.ociArch).toBe('amd64');
    expect(r.os.name).toBe('day0 Demo CoreOS-like');
    expect(r.os.versionId).toBe('12');
    expect(r.kernel).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    expect(r.kernels).toHaveLength(1);
    expect(r.initramfsSize).toBeGreaterThan(10e6);
    expect(r.ignition).toMatchObject({ version: '2.14.0', maxSpec: '3.3.0' });
    expect(r.ignition.raw).toMatch(/^Debian 2\.14\.0/);
    expect(r.labels['containers.bootc']).toBe('1');
    expect(r.layers.length).toBeGreaterThanOrEqual(1);
    expect(r.layersTotalSize).toBe(r.layers.reduce((a, l) => a + l.size, 0));
    expect(r.cache.bytesPulled).toBeGreaterThanOrEqual(r.layersTotalSize);
    expect(r.cache.unpackCached).toBe(false);
    expect(existsSync(join(r.cache.rootfs, 'usr/lib/os-release'))).toBe(true);
  });

  it('without --tls-verify=false the plain-HTTP registry is refused with the fix named', async () => {
    const e = await expectDay0Error(pullImage({ exec }, BASE, { arch: 'x86_64' }), /plain HTTP/);
    expect(e.fix).toMatch(/--tls-verify=false/);
  });

  it('inspects demo-layered: the base layers it shares are not pulled again', async () => {
    layeredRaw = await rawManifest(LAYERED);
    const layered = JSON.parse(layeredRaw.toString()) as { config: { size: number }; layers: { digest: string; size: number }[] };
    const base = JSON.parse((await rawManifest(BASE)).toString()) as { layers: { digest: string }[] };
    const shared = new Set(base.layers.map((l) => l.digest));
    const expected = layered.layers.filter((l) => !shared.has(l.digest)).reduce((a, l) => a + l.size, 0) + layered.config.size + layeredRaw.length;
    const r = await inspectImage({ exec }, LAYERED, { arch: 'x86_64', tlsVerify: false });
    expect(r.digest).toBe(sha(layeredRaw));
    expect(r.cache.bytesPulled).toBe(expected);
    expect(r.ignition.maxSpec).toBe('3.3.0');
    expect(r.labels['org.opencontainers.image.title']).toBe('day0 demo layered');
  });

  it('a second intake of the same digest pulls 0 bytes and unpacks nothing (by tag and by digest)', async () => {
    const p = cachePaths();
    const digest = sha(layeredRaw);
    const rootfs = join(p.rootfs, digest.slice(7));
    const blobsBefore = readdirSync(p.blobs).sort();
    const inoBefore = statSync(rootfs).ino;
    for (const ref of [LAYERED, `${REG}/day0/demo-layered@${digest}`]) {
      const s = spy();
      const b = await intake(s.ctx, ref, { arch: 'x86_64', tlsVerify: false });
      expect(b.image.digest).toBe(digest);
      expect(b.image.bytesPulled).toBe(0);
      expect(b.unpackCached).toBe(true);
      expect(b.rootfs).toBe(rootfs);
      expect(b.ignitionVersion).toBe('2.14.0');
      // The cache says so: no skopeo copy, no umoci, no decompression ran; same blobs, same root filesystem.
      const tools = s.specs.map((x) => x.argv.slice(0, 2).join(' '));
      expect(tools.filter((t) => t !== 'skopeo inspect')).toEqual([]);
      if (ref.includes('@')) expect(tools).toEqual([]); // a cached digest needs not even the registry
      expect(readdirSync(p.blobs).sort()).toEqual(blobsBefore);
      expect(statSync(rootfs).ino).toBe(inoBefore);
      expect(readdirSync(p.tmp)).toEqual([]);
    }
  });

  it('inspects the demo oci-archive', async () => {
    if (!existsSync(ARCHIVE)) throw new Error(`${ARCHIVE} is missing: run bash hack/demo-images.sh`);
    const r = await inspectImage({ exec }, `oci-archive:${ARCHIVE}`, { arch: 'x86_64' });
    expect(r.kernel).toMatch(/-amd64$/);
    expect(r.ignition.version).toBe('2.14.0');
    expect(r.labels['org.opencontainers.image.title']).toBe('day0 demo layered');
    expect(r.pinned).toBe(`oci-archive:${ARCHIVE}@${r.digest}`);
    // Content addressing across transports: the same manifest is the same cache entry.
    if (r.digest === sha(layeredRaw)) expect(r.cache).toMatchObject({ bytesPulled: 0, unpackCached: true });
  });

  it('inspects an oci dir written by skopeo: same digest as the registry, served from the cache', async () => {
    const dir = join(work, 'oci-demo');
    await execa('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${LAYERED}`, `oci:${dir}:demo`]);
    const r = await inspectImage({ exec }, `oci:${dir}:demo`, { arch: 'x86_64' });
    expect(r.digest).toBe(sha(layeredRaw));
    expect(r.cache).toMatchObject({ bytesPulled: 0, unpackCached: true });
    await expectDay0Error(inspectImage({ exec }, `oci:${dir}:nope`, { arch: 'x86_64' }), /no image tagged "nope"/);
  });

  it('cache list shows the entries; prune to 0 removes all that are not in use', async () => {
    const p = cachePaths();
    const s = await listCache(p);
    expect(s.entries.length).toBeGreaterThanOrEqual(2);
    expect(s.entries.every((e) => e.inUse)).toBe(true); // this process used them
    const kept = await pruneCache(0, p);
    expect(kept.removed).toEqual([]);
    for (const e of s.entries) releaseEntry(e.digest.slice(7), p);
    const r = await pruneCache(0, p);
    expect(r.removed.length).toBe(s.entries.length);
    expect(readdirSync(p.rootfs)).toEqual([]);
    expect(readdirSync(p.blobs)).toEqual([]);
    expect(r.after).toBeLessThan(1e6);
  });
});

describe('crafted images', () => {
  const dir = join(work, 'crafted');
  let amd64: Desc;
  let arm64: Desc;
  let index: Desc;

  beforeAll(async () => {
    useCache('crafted');
    const gz = gzipSync(cpio([{ name: 'usr', mode: 0o40755 }, { name: 'usr/bin/ignition', data: ignitionBinary('v2.15.0') }]));
    // arm64: zstd (decompressed in the builder) after an uncompressed early cpio, as dracut writes microcode.
    const z = (await execa('zstd', ['-q', '-c'], { input: cpio([{ name: 'usr/bin/ignition', data: ignitionBinary('2.20.1') }]), encoding: 'buffer' })).stdout;
    const early = cpio([{ name: 'kernel/x86/microcode/AuthenticAMD.bin', data: Buffer.alloc(2048, 1) }]);
    amd64 = makeImage(dir, [bootableFiles('6.1.0-test-amd64', gz)], { arch: 'amd64' });
    arm64 = makeImage(dir, [bootableFiles('6.1.0-test-arm64', Buffer.concat([early, Buffer.from(z)]), 'Tiny ARM')], { arch: 'arm64' });
    index = makeIndex(dir, [
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ]);
    // an index without the host's arch (and with one day0 has no profile for: it is listed, never offered)
    const riscv = makeImage(dir, [bootableFiles('6.1.0-test-riscv64', gz)], { arch: 'riscv64' });
    const armIndex = makeIndex(dir, [
      { ...arm64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      { ...riscv, platform: { architecture: 'riscv64', os: 'linux' } },
    ]);
    const nokernel = makeImage(dir, [[{ name: 'etc/', type: 'dir' }, { name: 'etc/hello', data: 'hi' }]]);
    writeLayout(dir, { multi: index, 'arm-index': armIndex, 'arm-only': arm64, 'amd-only': amd64, nokernel });
  });

  it('picks the asked arch from a two-arch index (oci layout)', async () => {
    const x = await inspectImage({ exec }, `oci:${dir}:multi`, { arch: 'x86_64' });
    expect(x).toMatchObject({ digest: amd64.digest, indexDigest: index.digest, arch: 'x86_64', kernel: '6.1.0-test-amd64' });
    expect(x.ignition).toMatchObject({ version: '2.15.0', maxSpec: '3.4.0' });
    const a = await inspectImage({ exec }, `oci:${dir}:multi`, { arch: 'aarch64' });
    expect(a).toMatchObject({ digest: arm64.digest, indexDigest: index.digest, arch: 'aarch64', ociArch: 'arm64', kernel: '6.1.0-test-arm64' });
    expect(a.os.name).toBe('Tiny ARM');
    expect(a.ignition).toMatchObject({ version: '2.20.1', maxSpec: '3.5.0' });
  });

  it('refuses an arch the index does not have, listing the arches it has', async () => {
    const e = await expectDay0Error(intake({ exec }, `oci:${dir}:arm-index`, { arch: 'x86_64' }), /has no x86_64 \(linux\/amd64\) image; it has: linux\/arm64\/v8, linux\/riscv64/);
    expect(e.fix).toMatch(/--arch aarch64/);
    expect(e.fix).not.toMatch(/riscv/);
  });

  it('refuses a single-arch image whose config says another arch', async () => {
    await expectDay0Error(intake({ exec }, `oci:${dir}:arm-only`, { arch: 'x86_64' }), /is for arm64 \(aarch64\), but x86_64 \(amd64\) was asked for/);
  });

  it('selects from the same index pushed to the registry (docker://, by digest)', async () => {
    await execa('skopeo', ['copy', '-q', '--all', '--dest-tls-verify=false', `oci:${dir}:multi`, `docker://${REG}/day0-test/multi:latest`]);
    await execa('skopeo', ['copy', '-q', '--all', '--dest-tls-verify=false', `oci:${dir}:arm-index`, `docker://${REG}/day0-test/arm-index:latest`]);
    const b = await intake({ exec }, `docker://${REG}/day0-test/multi:latest`, { arch: 'aarch64', tlsVerify: false });
    expect(b.image).toMatchObject({ digest: arm64.digest, indexDigest: index.digest, pinned: `${REG}/day0-test/multi@${arm64.digest}` });
    expect(b.unpackCached).toBe(true); // unpacked from the oci layout already: same digest
    await expectDay0Error(intake({ exec }, `${REG}/day0-test/arm-index:latest`, { arch: 'x86_64', tlsVerify: false }), /it has: linux\/arm64\/v8, linux\/riscv64/);
  });

  it('honours registries.conf mirrors (here through CONTAINERS_REGISTRIES_CONF)', async () => {
    const conf = join(work, 'registries.conf');
    writeFileSync(conf, `[[registry]]\nlocation = "day0-nowhere.invalid:5000"\n\n[[registry.mirror]]\nlocation = "${REG}"\ninsecure = true\n`);
    process.env.CONTAINERS_REGISTRIES_CONF = conf;
    try {
      const b = await intake({ exec }, 'day0-nowhere.invalid:5000/day0-test/multi:latest', { arch: 'x86_64' });
      expect(b.image).toMatchObject({ digest: amd64.digest, pinned: `day0-nowhere.invalid:5000/day0-test/multi@${amd64.digest}` });
    } finally {
      delete process.env.CONTAINERS_REGISTRIES_CONF;
    }
  });

  it('reads an oci-archive written by skopeo, copying blobs by digest', async () => {
    const file = join(work, 'tiny.oci.tar');
    await execa('skopeo', ['copy', '-q', `oci:${dir}:multi`, `oci-archive:${file}:tiny`]);
    useCache('archive');
    const b = await intake({ exec }, `oci-archive:${file}:tiny`, { arch: 'x86_64' });
    expect(b.image.digest).toBe(amd64.digest);
    expect(b.image.bytesPulled).toBeGreaterThan(0);
    expect(b.unpackCached).toBe(false);
    expect(readFileSync(join(b.rootfs, 'usr/lib/modules/6.1.0-test-amd64/vmlinuz'), 'utf8')).toBe('MZ fake kernel 6.1.0-test-amd64');
    useCache('crafted');
  });

  it('refuses an image with no kernel: "not a bootable OS image"', async () => {
    const e = await expectDay0Error(intake({ exec }, `oci:${dir}:nokernel`, { arch: 'x86_64' }), /^not a bootable OS image: .* has no kernel at \/usr\/lib\/modules\/<kver>\/vmlinuz/);
    expect(e.fix).toMatch(/initramfs\.img/);
  });

  it('applies whiteouts and opaque dirs; keeps owners, modes, xattrs, hard links, symlinks, device nodes', async () => {
    // security.capability must be a valid vfs_cap_data (v2): cap_net_raw (bit 13) permitted + effective.
    const cap = Buffer.from([0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const whDir = join(work, 'wh');
    const img = makeImage(whDir, [
      [
        { name: 'a/', type: 'dir' },
        { name: 'a/f1', data: 'one' },
        { name: 'a/f2', data: 'two' },
        { name: 'b/', type: 'dir' },
        { name: 'b/sub/', type: 'dir' },
        { name: 'b/sub/x', data: 'x' },
        { name: 'b/old', data: 'old' },
        { name: 'c/', type: 'dir' },
        { name: 'c/keep', data: 'keep' },
        { name: 'c/hard', type: 'link', link: 'c/keep' },
        { name: 'c/sym', type: 'symlink', link: '../c/keep' },
        { name: 'owned', data: 'o', uid: 1234, gid: 5678, mode: 0o4750 },
        { name: 'ping', data: 'p', mode: 0o755, xattrs: { 'security.capability': cap, 'user.day0': 'hello' } },
        { name: 'dev/', type: 'dir' },
        { name: 'dev/null0', type: 'char', major: 1, minor: 3, mode: 0o666 },
        { name: 'dev/fifo0', type: 'fifo', mode: 0o600 },
      ],
      [
        { name: 'a/.wh.f1', data: '' },
        { name: 'b/', type: 'dir' },
        { name: 'b/.wh..wh..opq', data: '' },
        { name: 'b/new', data: 'new' },
      ],
    ]);
    writeLayout(whDir, { wh: img });
    const pulled = await pullImage({ exec }, `oci:${whDir}:wh`, { arch: 'x86_64' });
    const { rootfs } = await unpackImage({ exec }, pulled);
    const ls = (p: string) => readdirSync(join(rootfs, p)).sort();
    expect(ls('a')).toEqual(['f2']);
    expect(ls('b')).toEqual(['new']);
    expect(ls('c')).toEqual(['hard', 'keep', 'sym']);
    expect(statSync(join(rootfs, 'c/hard')).ino).toBe(statSync(join(rootfs, 'c/keep')).ino);
    expect(statSync(join(rootfs, 'c/keep')).nlink).toBe(2);
    expect(readlinkSync(join(rootfs, 'c/sym'))).toBe('../c/keep');
    const o = lstatSync(join(rootfs, 'owned'));
    expect([o.uid, o.gid, o.mode & 0o7777]).toEqual([1234, 5678, 0o4750]);
    const dev = lstatSync(join(rootfs, 'dev/null0'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect([Math.floor(dev.rdev / 256), dev.rdev % 256]).toEqual([1, 3]);
    expect(lstatSync(join(rootfs, 'dev/fifo0')).isFIFO()).toBe(true);
    const xattr = async (name: string) =>
      (await execa('/usr/bin/python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).hex())', join(rootfs, 'ping'), name])).stdout;
    expect(await xattr('security.capability')).toBe(cap.toString('hex'));
    expect(await xattr('user.day0')).toBe(Buffer.from('hello').toString('hex'));
    // The unpacked images are out of reach of other users (setuid files, device nodes).
    expect(statSync(cachePaths().rootfs).mode & 0o777).toBe(0o700);
  });

  it('hostile layers write nothing outside the root filesystem', async () => {
    // /dev is bound into the builder at the same path, so host-visible sentinels can live in /dev/shm.
    const tag = randomBytes(6).toString('hex');
    const victim = `/dev/shm/day0-victim-${tag}`;
    writeFileSync(victim, 'original');
    const pwned = (n: string) => `/dev/shm/day0-pwned-${n}-${tag}`;
    const dir2 = join(work, 'hostile');
    mkdirSync(dir2, { recursive: true });
    const symlinks = makeImage(dir2, [
      [
        { name: '../../../../../../dev/shm/' + `day0-pwned-dotdot-${tag}`, data: 'x' },
        { name: `/dev/shm/day0-pwned-abs-${tag}`, data: 'x' },
        { name: 'shm', type: 'symlink', link: '/dev/shm' },
        { name: 'up', type: 'symlink', link: '../../../../../../../..' },
        { name: 'c1', type: 'symlink', link: 'c2' },
        { name: 'c2', type: 'symlink', link: '/dev' },
        { name: 'rel', type: 'symlink', link: '../../../../../../../../dev/shm' },
      ],
      [
        { name: `shm/day0-pwned-sym-${tag}`, data: 'x' },
        { name: `up/dev/shm/day0-pwned-up-${tag}`, data: 'x' },
        { name: `c1/shm/day0-pwned-chain-${tag}`, data: 'x' },
        { name: `rel/day0-pwned-rel-${tag}`, data: 'x' },
      ],
    ]);
    const hardlinks = makeImage(dir2, [
      [
        { name: 'dev/', type: 'dir' },
        { name: 'dev/shm/', type: 'dir' },
        { name: `dev/shm/day0-victim-${tag}`, data: 'inside' },
        { name: 'hl-abs', type: 'link', link: victim },
        { name: 'hl-dotdot', type: 'link', link: `../../../../../..${victim}` },
      ],
      [
        { name: 'hl-abs', data: 'overwritten' },
        { name: 'hl-dotdot', data: 'overwritten' },
      ],
    ]);
    writeLayout(dir2, { symlinks, hardlinks });
    try {
      for (const t of ['symlinks', 'hardlinks']) {
        let rootfs: string | undefined;
        try {
          const pulled = await pullImage({ exec }, `oci:${dir2}:${t}`, { arch: 'x86_64' });
          rootfs = (await unpackImage({ exec }, pulled)).rootfs;
        } catch (e) {
          // Refusing the layer is fine too; only a clear error is acceptable.
          expect(e).toBeInstanceOf(Day0Error);
        }
        for (const n of ['dotdot', 'abs', 'sym', 'up', 'chain', 'rel']) expect(existsSync(pwned(n))).toBe(false);
        expect(readFileSync(victim, 'utf8')).toBe('original');
        expect(statSync(victim).nlink).toBe(1);
        if (rootfs && t === 'symlinks') {
          // Contained: what the entries named landed inside the root.
          expect(existsSync(join(rootfs, 'dev/shm', `day0-pwned-sym-${tag}`))).toBe(true);
          expect(existsSync(join(rootfs, 'dev/shm', `day0-pwned-dotdot-${tag}`))).toBe(true);
        }
        if (rootfs && t === 'hardlinks') {
          expect(readFileSync(join(rootfs, 'hl-abs'), 'utf8')).toBe('overwritten');
        }
      }
      // Nothing was left in the work area either.
      expect(readdirSync(cachePaths().tmp)).toEqual([]);
    } finally {
      rmSync(victim, { force: true });
      for (const n of ['dotdot', 'abs', 'sym', 'up', 'chain', 'rel']) rmSync(pwned(n), { force: true });
    }
  });
});

describe('registry with basic auth', () => {
  const user = 'day0user';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  let registry: ChildProcess | undefined;
  let host: string;
  let authfile: string;
  let image: string;
  let digest: string;

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  }

  beforeAll(async () => {
    useCache('auth');
    const d = join(work, 'auth-registry');
    mkdirSync(join(d, 'data'), { recursive: true });
    // The password goes to htpasswd on stdin, never in argv.
    const h = await execa('htpasswd', ['-niB', user], { input: `${password}\n` });
    writeFileSync(join(d, 'htpasswd'), `${h.stdout.trim()}\n`);
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    writeFileSync(
      join(d, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${d}/data\nhttp:\n  addr: ${host}\nauth:\n  htpasswd:\n    realm: day0-test\n    path: ${d}/htpasswd\n`,
    );
    registry = spawn('docker-registry', ['serve', join(d, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      const r = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${host}/v2/`], { reject: false });
      if (r.stdout === '401') break;
      if (i > 50) throw new Error(`the auth registry did not start on ${host}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    authfile = join(d, 'auth.json');
    writeFileSync(authfile, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
    // A tiny bootable image, pushed with the auth file.
    const src = join(work, 'auth-src');
    const gz = gzipSync(cpio([{ name: 'usr/bin/ignition', data: ignitionBinary('v2.19.0') }]));
    writeLayout(src, { tiny: makeImage(src, [bootableFiles('6.1.0-auth', gz)]) });
    image = `${host}/day0/private:latest`;
    await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-authfile', authfile, `oci:${src}:tiny`, `docker://${image}`]);
    digest = sha(readFileSync(join(src, 'blobs/sha256', (JSON.parse(readFileSync(join(src, 'index.json'), 'utf8')) as { manifests: Desc[] }).manifests[0]!.digest.slice(7))));
  });

  afterAll(async () => {
    if (registry?.pid) {
      registry.kill('SIGTERM');
      await new Promise((res) => registry!.once('exit', res));
    }
  });

  it('pulls with --authfile', async () => {
    const s = spy();
    const b = await intake(s.ctx, image, { arch: 'x86_64', tlsVerify: false, authfile });
    expect(b.image.digest).toBe(digest);
    expect(b.ignitionMaxSpec).toBe('3.4.0');
    expect(s.specs.some((x) => x.argv.includes('--authfile') && x.argv.includes(authfile))).toBe(true);
  });

  it('pulls with REGISTRY_AUTH_FILE', async () => {
    useCache('auth-env');
    process.env.REGISTRY_AUTH_FILE = authfile;
    try {
      const b = await intake({ exec }, image, { arch: 'x86_64', tlsVerify: false });
      expect(b.image.digest).toBe(digest);
    } finally {
      delete process.env.REGISTRY_AUTH_FILE;
    }
  });

  it('fails clearly without credentials, and with wrong ones; the password appears nowhere', async () => {
    useCache('auth-none');
    const s = spy();
    const e = await expectDay0Error(pullImage(s.ctx, image, { arch: 'x86_64', tlsVerify: false }), /refused access to .*authentication required/);
    expect(e.fix).toMatch(/--authfile/);
    const wrongPw = `wrong-${randomBytes(8).toString('hex')}`;
    const wrong = join(work, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${wrongPw}`).toString('base64') } } }));
    const e2 = await expectDay0Error(pullImage(s.ctx, image, { arch: 'x86_64', tlsVerify: false, authfile: wrong }), /refused access/);
    expect(e2.fix).toContain(wrong);
    // With the right file again, recording everything.
    await pullImage(s.ctx, image, { arch: 'x86_64', tlsVerify: false, authfile });
    const podmanArgv = exec instanceof PodmanExecutor ? s.specs.map((x) => exec instanceof PodmanExecutor && exec.podmanArgv(x, 'n')) : [];
    const seen = JSON.stringify({ specs: s.specs.map((x) => ({ argv: x.argv, env: x.env, binds: x.binds })), podmanArgv, outputs: s.outputs, errors: [e, e2].map((x) => `${x.message} ${x.fix}`) });
    for (const secret of [password, wrongPw, Buffer.from(`${user}:${password}`).toString('base64'), Buffer.from(`${user}:${wrongPw}`).toString('base64')]) {
      expect(seen).not.toContain(secret);
    }
  });
});
