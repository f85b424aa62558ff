// The boot contract of a layered OS image (as CoreOS and bootc images follow it):
//   /usr/lib/modules/<kver>/vmlinuz and /usr/lib/modules/<kver>/initramfs.img, /etc/os-release or
//   /usr/lib/os-release, and — for day0 — Ignition inside the initramfs, whose version bounds the config spec the
//   image can apply.
//
// The root filesystem is untrusted content: every path is resolved inside it (symlinks, absolute or relative,
// are followed as if the root were `/`), so a hostile link never makes day0 read a host file.
//
// The Ignition version is found without running anything from the image: the initramfs is decompressed (gzip in
// Node; zstd/xz in the builder; an uncompressed early-microcode cpio in front is skipped), `usr/bin/ignition` is
// taken from the cpio stream, and the version string that the build stamps into the binary (Go -X ldflags:
// "v2.19.0", "2.19.0", "Debian 2.14.0+ds1-1+b6", bounded by non-printable bytes in .rodata) is scanned for. Running the binary
// instead would mean executing image content as root in the privileged builder, and fails for foreign arches.
import { createReadStream, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Day0Error } from '../util/errors.js';
import { withTempDir } from '../util/tmp.js';
import { cachePaths, ensureCache, type IgnitionProbe } from './cache.js';
import type { IntakeContext } from './pull.js';
import type { KernelInfo } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Paths inside an untrusted root

/**
 * The host path that `path` (absolute inside `root`) names, with every symlink resolved inside `root` — as a
 * chroot would. undefined when it does not exist, loops, or goes through a non-directory.
 */
export function resolveInRoot(root: string, path: string, maxLinks = 40): string | undefined {
  const queue = path.split('/').filter((c) => c && c !== '.');
  let cur: string[] = [];
  let links = 0;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const host = join(root, ...cur, c);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++links > maxLinks) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith('/')) cur = [];
      queue.unshift(...target.split('/').filter((x) => x && x !== '.'));
      continue;
    }
    if (queue.length && !st.isDirectory()) return undefined;
    cur.push(c);
  }
  return join(root, ...cur);
}

function regularFile(p: string | undefined): { path: string; size: number } | undefined {
  if (!p) return undefined;
  try {
    const st = lstatSync(p);
    return st.isFile() ? { path: p, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Kernels

function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export interface KernelScan {
  kernels: KernelInfo[];
  /** Kernel versions that have a vmlinuz but no initramfs.img. */
  withoutInitramfs: string[];
}

export function findKernels(rootfs: string): KernelScan {
  const out: KernelScan = { kernels: [], withoutInitramfs: [] };
  const modules = resolveInRoot(rootfs, '/usr/lib/modules');
  if (!modules) return out;
  let names: string[];
  try {
    if (!statSync(modules).isDirectory()) return out;
    names = readdirSync(modules);
  } catch {
    return out;
  }
  for (const kver of names.sort(compareVersions)) {
    const vmlinuz = regularFile(resolveInRoot(rootfs, `/usr/lib/modules/${kver}/vmlinuz`));
    if (!vmlinuz) continue;
    const initramfs = regularFile(resolveInRoot(rootfs, `/usr/lib/modules/${kver}/initramfs.img`));
    if (!initramfs) {
      out.withoutInitramfs.push(kver);
      continue;
    }
    out.kernels.push({ version: kver, vmlinuz: vmlinuz.path, initramfs: initramfs.path, initramfsSize: initramfs.size });
  }
  return out;
}

const CONTRACT_FIX =
  'build the image FROM a bootable base (e.g. quay.io/fedora/fedora-coreos, a bootc base image) or install a kernel ' +
  'and generate its initramfs in the image: /usr/lib/modules/<kver>/vmlinuz and /usr/lib/modules/<kver>/initramfs.img';

/** Apply the boot contract: exactly one kernel, or the one named by `wanted`. */
export function chooseKernel(scan: KernelScan, wanted: string | undefined, what: string): KernelInfo {
  if (scan.kernels.length === 0) {
    if (scan.withoutInitramfs.length) {
      throw new Day0Error(
        `not a bootable OS image: ${what} has a kernel (/usr/lib/modules/${scan.withoutInitramfs[0]}/vmlinuz) but no initramfs.img next to it`,
        { fix: `generate it in the image build, e.g. RUN dracut --kver ${scan.withoutInitramfs[0]} /usr/lib/modules/${scan.withoutInitramfs[0]}/initramfs.img` },
      );
    }
    throw new Day0Error(`not a bootable OS image: ${what} has no kernel at /usr/lib/modules/<kver>/vmlinuz`, { fix: CONTRACT_FIX });
  }
  if (wanted) {
    const k = scan.kernels.find((x) => x.version === wanted);
    if (!k) {
      throw new Day0Error(`${what} has no kernel ${wanted}; it has: ${scan.kernels.map((x) => x.version).join(', ')}`, {
        fix: `pass one of them with --kernel`,
      });
    }
    return k;
  }
  if (scan.kernels.length > 1) {
    throw new Day0Error(`${what} has several kernels: ${scan.kernels.map((x) => x.version).join(', ')}`, {
      fix: `choose one with --kernel ${scan.kernels[scan.kernels.length - 1]!.version} (or remove the others in the image build)`,
    });
  }
  return scan.kernels[0]!;
}

// ---------------------------------------------------------------------------------------------------------------
// os-release

/** Parse os-release(5): KEY=value, values optionally quoted with shell rules for \" \\ \$ \`. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\([\\"$`])/g, '$1');
    else if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

export async function readOsRelease(rootfs: string): Promise<Record<string, string>> {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const f = regularFile(resolveInRoot(rootfs, p));
    if (!f || f.size > 64 * 1024) continue;
    return parseOsRelease(await readFile(f.path, 'utf8'));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Ignition version (its mapping to config specs lives in src/ignition/spec-check.ts)

/** The version stamped into an Ignition binary, found by scanning it (see the header comment). */
export function ignitionVersionFromBinary(bin: Uint8Array): IgnitionProbe {
  const s = Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength).toString('latin1');
  const found = new Set<string>();
  // Go strings have no terminator: a stamp is bounded by non-printable bytes (NULs of a little-endian length or
  // padding; on a big-endian binary such as s390x's the byte before it is the length's low byte, e.g. 0x18).
  const stamp = /(?<![\x20-\x7e])((?:Debian |v)?2\.\d{1,3}\.\d{1,3}(?:[-+~][0-9A-Za-z.+~-]*)?)(?![\x20-\x7e])/g;
  for (const m of s.matchAll(stamp)) found.add(m[1]!);
  for (const m of s.matchAll(/Ignition (v?2\.\d{1,3}\.\d{1,3})\b/g)) found.add(m[1]!);
  const versions = new Map<string, string>();
  for (const raw of found) {
    const v = /(\d+\.\d+\.\d+)/.exec(raw)?.[1];
    if (v && !versions.has(v)) versions.set(v, raw);
  }
  if (versions.size === 1) {
    const [[version, raw]] = [...versions.entries()] as [[string, string]];
    return { version, raw };
  }
  if (versions.size === 0) return { note: 'no version string found in usr/bin/ignition' };
  return { note: `several version strings in usr/bin/ignition: ${[...found].join(', ')}` };
}

// ---------------------------------------------------------------------------------------------------------------
// initramfs: segments, decompression, cpio

type Kind = 'gzip' | 'zstd' | 'xz' | 'lz4' | 'bzip2' | 'lzma' | 'lzo' | 'cpio' | 'unknown';

function kindAt(b: Buffer): Kind {
  if (b.length >= 6 && (b.toString('latin1', 0, 6) === '070701' || b.toString('latin1', 0, 6) === '070702')) return 'cpio';
  if (b[0] === 0x1f && (b[1] === 0x8b || b[1] === 0x9e)) return 'gzip';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  if (b[0] === 0xfd && b.toString('latin1', 1, 6) === '7zXZ\0') return 'xz';
  if (b[0] === 0x02 && b[1] === 0x21 && b[2] === 0x4c && b[3] === 0x18) return 'lz4';
  if (b.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (b[0] === 0x5d && b[1] === 0x00 && b[2] === 0x00) return 'lzma';
  if (b[0] === 0x89 && b.toString('latin1', 1, 4) === 'LZO') return 'lzo';
  return 'unknown';
}

const IGNITION_NAMES = new Set(['usr/bin/ignition', 'bin/ignition', 'usr/lib/dracut/modules.d/30ignition/ignition']);
const MAX_BINARY = 512 << 20;

function wantedName(name: string): boolean {
  return IGNITION_NAMES.has(name.replace(/^(\.\/)+/, '').replace(/^\/+/, ''));
}

/** Pull-based reader over a stream, for the cpio parser. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        this.chunks.push(b);
        this.buffered += b.length;
      }
    }
    return this.buffered >= n;
  }
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return Buffer.from(out);
  }
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) return false;
      const first = this.chunks[0]!;
      if (first.length <= left) {
        left -= first.length;
        this.buffered -= first.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = first.subarray(left);
        this.buffered -= left;
        left = 0;
      }
    }
    return true;
  }
  async peekByte(): Promise<number | undefined> {
    if (!(await this.fill(1))) return undefined;
    return this.chunks[0]![0];
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const align4 = (n: number) => (n + 3) & ~3;

/** Find one of the Ignition paths in a stream of (possibly several, zero-padded) newc cpio archives. */
export async function findIgnitionInCpioStream(stream: Readable): Promise<Buffer | undefined> {
  const r = new ChunkReader(stream);
  try {
    for (;;) {
      // Zero padding between archives.
      let b = await r.peekByte();
      while (b === 0) {
        await r.skip(1);
        b = await r.peekByte();
      }
      if (b === undefined) return undefined;
      for (;;) {
        const hdr = await r.take(110);
        if (!hdr) return undefined;
        const magic = hdr.toString('latin1', 0, 6);
        if (magic !== '070701' && magic !== '070702') return undefined;
        const hex = (i: number) => parseInt(hdr.toString('latin1', 6 + i * 8, 14 + i * 8), 16);
        const mode = hex(1);
        const filesize = hex(6);
        const namesize = hex(11);
        const nameBuf = await r.take(align4(110 + namesize) - 110);
        if (!nameBuf) return undefined;
        const name = nameBuf.subarray(0, Math.max(0, namesize - 1)).toString('utf8');
        if (name === 'TRAILER!!!') break;
        const padded = align4(filesize);
        if (wantedName(name) && (mode & 0o170000) === 0o100000 && filesize <= MAX_BINARY) {
          const data = await r.take(filesize);
          return data;
        }
        if (!(await r.skip(padded))) return undefined;
      }
    }
  } finally {
    await r.close();
  }
}

interface Segment {
  /** Offset of the first compressed (or unknown) segment, after any uncompressed cpio archives. */
  offset: number;
  kind: Kind;
  /** The binary, when it was in an uncompressed segment. */
  found?: Buffer;
}

/** Walk the uncompressed cpio segments at the start of an initramfs (early microcode) by their headers. */
async function walkPlainSegments(path: string): Promise<Segment> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = 0;
    const hdr = Buffer.alloc(110);
    for (;;) {
      // Skip zero padding (the kernel allows it between segments).
      const probe = Buffer.alloc(4096);
      for (;;) {
        const { bytesRead } = await fh.read(probe, 0, probe.length, pos);
        if (bytesRead === 0) return { offset: pos, kind: 'unknown' };
        const nz = probe.subarray(0, bytesRead).findIndex((x) => x !== 0);
        if (nz >= 0) {
          pos += nz;
          break;
        }
        pos += bytesRead;
      }
      const { bytesRead } = await fh.read(hdr, 0, 110, pos);
      const kind = kindAt(hdr.subarray(0, bytesRead));
      if (kind !== 'cpio') return { offset: pos, kind };
      for (;;) {
        const n = (await fh.read(hdr, 0, 110, pos)).bytesRead;
        if (n < 110 || kindAt(hdr) !== 'cpio') return { offset: pos, kind: 'unknown' };
        const hex = (i: number) => parseInt(hdr.toString('latin1', 6 + i * 8, 14 + i * 8), 16);
        const mode = hex(1);
        const filesize = hex(6);
        const namesize = hex(11);
        const nameBuf = Buffer.alloc(namesize);
        await fh.read(nameBuf, 0, namesize, pos + 110);
        const name = nameBuf.subarray(0, Math.max(0, namesize - 1)).toString('utf8');
        const data = align4(pos + 110 + namesize);
        const next = align4(data + filesize);
        if (next > size + 4) return { offset: pos, kind: 'unknown' };
        if (wantedName(name) && (mode & 0o170000) === 0o100000 && filesize <= MAX_BINARY) {
          const buf = Buffer.alloc(filesize);
          await fh.read(buf, 0, filesize, data);
          return { offset: pos, kind: 'cpio', found: buf };
        }
        pos = next;
        if (name === 'TRAILER!!!') break;
      }
    }
  } finally {
    await fh.close();
  }
}

/**
 * Find Ignition in an initramfs and read its version. `ctx` runs zstd/xz in the builder; gzip and plain cpio are
 * read in-process. Never throws for an unreadable initramfs: the probe carries a note instead.
 */
export async function probeIgnition(ctx: IntakeContext, initramfs: string, signal?: AbortSignal): Promise<IgnitionProbe> {
  const seg = await walkPlainSegments(initramfs);
  if (seg.found) return ignitionVersionFromBinary(seg.found);
  let bin: Buffer | undefined;
  if (seg.kind === 'gzip') {
    const stream = createReadStream(initramfs, { start: seg.offset }).pipe(createGunzip());
    try {
      bin = await findIgnitionInCpioStream(stream);
    } catch (err) {
      return { note: `cannot decompress the initramfs (gzip): ${(err as Error).message}` };
    } finally {
      stream.destroy();
    }
  } else if (seg.kind === 'zstd' || seg.kind === 'xz') {
    const p = await ensureCache(cachePaths());
    const r = await withTempDir(`initrd-${process.pid}`, async (dir): Promise<Buffer | IgnitionProbe | undefined> => {
      const out = join(dir, 'initramfs.cpio');
      const tool = seg.kind === 'zstd' ? 'zstd -dcq' : 'xz -dc';
      const res = await ctx.exec.run({
        // Offsets and paths travel as positional arguments, never spliced into the script.
        argv: ['sh', '-c', `tail -c +"$(( $1 + 1 ))" "$2" | ${tool} > "$3"`, 'sh', String(seg.offset), initramfs, out],
        binds: [{ path: initramfs, readonly: true }, { path: dir }],
        network: 'none',
        label: `${seg.kind} -d initramfs`,
        ...(signal ? { signal } : {}),
      });
      // Trailing padding after the last frame makes the tool complain after it wrote everything: judge by the cpio.
      const got = await stat(out).then((st) => st.size, () => 0);
      if (got === 0) {
        const why = res.stderr.trim().split('\n').slice(-2).join(' ');
        return { note: `cannot decompress the initramfs (${seg.kind}): ${why || `exit ${res.exitCode}`}` } as IgnitionProbe;
      }
      const stream = createReadStream(out);
      try {
        return await findIgnitionInCpioStream(stream);
      } finally {
        stream.destroy();
      }
    }, p.tmp);
    if (r && !Buffer.isBuffer(r)) return r;
    bin = r;
  } else {
    return { note: `the initramfs is ${seg.kind === 'unknown' ? 'in an unknown format' : `${seg.kind}-compressed, which day0 cannot read`}` };
  }
  if (!bin) return { note: 'no usr/bin/ignition in the initramfs (is the ignition dracut module included?)' };
  return ignitionVersionFromBinary(bin);
}
