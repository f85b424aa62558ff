// day0's content-addressed image cache (under cacheDir(), i.e. $DAY0_CACHE or ~/.cache/day0):
//
//   oci/blobs/sha256/<hex>      every blob ever pulled, shared by all images (skopeo --dest-shared-blob-dir)
//   oci/images/<hex>/           one OCI layout per image manifest digest (tag = <hex>); its blobs are hard links
//   rootfs/<hex>/               the unpacked root filesystem of that image (0700 parent: setuid files, device nodes)
//   meta/<hex>.json             what day0 learnt about it (refs, blobs, Ignition version); mtime = last use
//   locks/<hex>.<pid>           "in use by process <pid>": prune never touches such an entry
//   tmp/                        work dirs, renamed into place when complete (never a half-written entry)
//   live/sha256-<hex>/          the live root filesystem image (root.squashfs / root.erofs) made from that image
//
// `cache list` and `cache prune` account for every folder: those above are entries' parts; anything else at the top
// (e.g. demo/ from hack/) is listed as unmanaged and counted in the total, but never deleted.
//
// <hex> is the manifest digest the reference resolved to (the selected architecture's manifest).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Day0Error } from '../util/errors.js';
import { cacheDir } from '../util/paths.js';
import { pidAlive, reclaimDead, VIA_TEMP_PATTERN } from '../util/stale.js';

export interface CachePaths {
  root: string;
  blobs: string;
  images: string;
  rootfs: string;
  meta: string;
  locks: string;
  tmp: string;
  live: string;
}

export function cachePaths(root = cacheDir()): CachePaths {
  return {
    root,
    blobs: join(root, 'oci', 'blobs', 'sha256'),
    images: join(root, 'oci', 'images'),
    rootfs: join(root, 'rootfs'),
    meta: join(root, 'meta'),
    locks: join(root, 'locks'),
    tmp: join(root, 'tmp'),
    live: join(root, 'live'),
  };
}

export async function ensureCache(p: CachePaths = cachePaths()): Promise<CachePaths> {
  try {
    for (const d of [p.blobs, p.images, p.meta, p.locks]) await mkdir(d, { recursive: true });
    // Unpacked images hold setuid binaries and device nodes: no other local user may reach them.
    for (const d of [p.rootfs, p.tmp]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
      await chmod(d, 0o700);
    }
  } catch (err) {
    throw new Day0Error(`cannot create day0's cache under ${p.root}: ${(err as Error).message}`, {
      fix: 'set DAY0_CACHE to a writable directory with enough space (several GB)',
    });
  }
  await reclaimLiveTemps(p);
  return p;
}

/** Partial live root images of killed runs: live/<digest>/root.*.tmp-<pid> whose pid is dead. */
export async function reclaimLiveTemps(p: CachePaths = cachePaths()): Promise<void> {
  for (const d of await safeReaddir(p.live)) await reclaimDead(join(p.live, d), VIA_TEMP_PATTERN);
}

/** The live/ folder of an entry (as media/rootfs.ts names it: the digest with ':' → '-'). */
export function liveDirOf(hex: string, p: CachePaths = cachePaths()): string {
  return join(p.live, `sha256-${hex}`);
}

export function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new Error(`not a sha256 digest: ${digest}`);
  return m[1]!;
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata

export interface IgnitionProbe {
  version?: string;
  /** The string found in the binary, e.g. "Debian 2.14.0+ds1-1+b6". */
  raw?: string;
  /** Why the version is unknown, when it is. */
  note?: string;
}

export interface CacheMeta {
  digest: string;
  /** References that resolved to this digest (most recent last). */
  refs: string[];
  arch?: string;
  /** Every blob digest of the cached layout (manifest, config, layers). */
  blobs?: string[];
  /** Sum of the layout's blob sizes. */
  blobBytes?: number;
  /** Ignition detection per kernel version (cached: it means decompressing the initramfs). */
  ignition?: Record<string, IgnitionProbe>;
}

function metaPath(hex: string, p: CachePaths): string {
  return join(p.meta, `${hex}.json`);
}

export async function readMeta(hex: string, p: CachePaths = cachePaths()): Promise<CacheMeta | undefined> {
  try {
    return JSON.parse(await readFile(metaPath(hex, p), 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}

/** Atomic update (temp + rename) of an entry's metadata; also marks it as used now. */
export async function updateMeta(
  hex: string,
  change: (m: CacheMeta) => CacheMeta,
  p: CachePaths = cachePaths(),
): Promise<CacheMeta> {
  const cur = (await readMeta(hex, p)) ?? { digest: `sha256:${hex}`, refs: [] };
  const next = change(cur);
  const tmp = join(p.meta, `.${hex}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`);
  await rename(tmp, metaPath(hex, p));
  return next;
}

/** Record a use of the entry now (LRU order for prune). */
export async function touchEntry(hex: string, p: CachePaths = cachePaths()): Promise<void> {
  const now = new Date();
  try {
    await utimes(metaPath(hex, p), now, now);
  } catch {
    await updateMeta(hex, (m) => m, p);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// In-use markers

const held = new Set<string>();
let exitHook = false;

/**
 * Mark an entry as in use by this process until it exits (or `releaseEntry`). Taken before the entry is looked at,
 * so that prune (which renames first, then checks the markers) can never delete what an intake is using.
 */
export async function markInUse(hex: string, p: CachePaths = cachePaths()): Promise<void> {
  const file = join(p.locks, `${hex}.${process.pid}`);
  await writeFile(file, `${process.pid}\n`);
  held.add(file);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const f of held) {
        try {
          unlinkSync(f);
        } catch {
          /* already gone */
        }
      }
    });
  }
}

export function releaseEntry(hex: string, p: CachePaths = cachePaths()): void {
  const file = join(p.locks, `${hex}.${process.pid}`);
  if (!held.delete(file)) return;
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/** Entries (hex) held by a live process; stale markers of dead processes are removed on the way. */
export function liveLocks(p: CachePaths = cachePaths()): Set<string> {
  const live = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(p.locks);
  } catch {
    return live;
  }
  for (const n of names) {
    const m = /^([a-f0-9]{64})\.(\d+)$/.exec(n);
    if (!m) continue;
    if (pidAlive(Number(m[2]))) live.add(m[1]!);
    else {
      try {
        unlinkSync(join(p.locks, n));
      } catch {
        /* raced */
      }
    }
  }
  return live;
}

// ---------------------------------------------------------------------------------------------------------------
// Sizes

/** Bytes a tree occupies on disk (st_blocks; hard links counted once). Does not follow symlinks. */
export async function treeSize(path: string, seen = new Set<string>()): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  let total = st.blocks * 512;
  if (st.isDirectory()) {
    let names: string[] = [];
    try {
      names = await readdir(path);
    } catch {
      return total;
    }
    for (const n of names) total += await treeSize(join(path, n), seen);
  }
  return total;
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "20G", "512M", "1.5T", "1000" (bytes); K/M/G/T are binary (KiB…), an optional "iB"/"B" suffix is accepted. */
export function parseSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(s);
  if (!m) {
    throw new Day0Error(`invalid size "${s}"`, { fix: 'write a number with an optional unit K, M, G or T (binary), e.g. 20G' });
  }
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toUpperCase()]!);
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < u.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Listing and pruning

export interface CacheEntry {
  digest: string;
  refs: string[];
  arch?: string;
  /** Last use (meta mtime; else the newest of the entry's dirs). */
  lastUsed: Date;
  hasLayout: boolean;
  hasRootfs: boolean;
  rootfsBytes: number;
  /** Bytes of the entry's live root filesystem image(s) under live/. */
  liveBytes: number;
  /** Bytes of blobs no other entry references (freed with the entry). */
  uniqueBlobBytes: number;
  inUse: boolean;
}

export interface CacheSummary {
  root: string;
  entries: CacheEntry[];
  blobBytes: number;
  rootfsBytes: number;
  liveBytes: number;
  /** meta/ and locks/. */
  metaBytes: number;
  tmpBytes: number;
  /** Top-level folders day0 does not manage (e.g. demo/), by name: counted, listed, never pruned. */
  unmanaged: { name: string; bytes: number }[];
  totalBytes: number;
}

/** Top-level names of the cache that are day0's own (everything else is unmanaged). */
const MANAGED = new Set(['oci', 'rootfs', 'meta', 'locks', 'tmp', 'live']);

async function safeReaddir(d: string): Promise<string[]> {
  try {
    return await readdir(d);
  } catch {
    return [];
  }
}

async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Blob digests (hex) an image layout references: its index, manifests, configs, layers. */
export async function layoutBlobs(layoutDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const n of await safeReaddir(join(layoutDir, 'blobs', 'sha256'))) out.add(n);
  return out;
}

async function blobSizes(p: CachePaths): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const n of await safeReaddir(p.blobs)) {
    if (!/^[a-f0-9]{64}$/.test(n)) continue;
    try {
      const st = await stat(join(p.blobs, n));
      sizes.set(n, st.blocks * 512);
    } catch {
      /* raced with a prune */
    }
  }
  return sizes;
}

export async function listCache(p: CachePaths = cachePaths(), opts: { sizes?: boolean } = {}): Promise<CacheSummary> {
  const hexes = new Set<string>();
  for (const n of await safeReaddir(p.images)) if (/^[a-f0-9]{64}$/.test(n)) hexes.add(n);
  for (const n of await safeReaddir(p.rootfs)) if (/^[a-f0-9]{64}$/.test(n)) hexes.add(n);
  for (const n of await safeReaddir(p.meta)) {
    const m = /^([a-f0-9]{64})\.json$/.exec(n);
    if (m) hexes.add(m[1]!);
  }
  for (const n of await safeReaddir(p.live)) {
    const m = /^sha256-([a-f0-9]{64})$/.exec(n);
    if (m) hexes.add(m[1]!);
  }
  const live = liveLocks(p);
  const sizes = await blobSizes(p);
  const refsByEntry = new Map<string, Set<string>>();
  const refCount = new Map<string, number>();
  for (const hex of hexes) {
    const blobs = await layoutBlobs(join(p.images, hex));
    refsByEntry.set(hex, blobs);
    for (const b of blobs) refCount.set(b, (refCount.get(b) ?? 0) + 1);
  }
  const entries: CacheEntry[] = [];
  for (const hex of hexes) {
    const meta = await readMeta(hex, p);
    const times = [
      await mtimeOf(join(p.meta, `${hex}.json`)),
      await mtimeOf(join(p.images, hex)),
      await mtimeOf(join(p.rootfs, hex)),
      await mtimeOf(liveDirOf(hex, p)),
    ].filter((t): t is number => t !== undefined);
    const hasRootfs = existsSync(join(p.rootfs, hex));
    let unique = 0;
    for (const b of refsByEntry.get(hex) ?? []) if (refCount.get(b) === 1) unique += sizes.get(b) ?? 0;
    const e: CacheEntry = {
      digest: `sha256:${hex}`,
      refs: meta?.refs ?? [],
      lastUsed: new Date(times.length ? Math.max(...times) : 0),
      hasLayout: existsSync(join(p.images, hex)),
      hasRootfs,
      rootfsBytes: hasRootfs && opts.sizes !== false ? await treeSize(join(p.rootfs, hex)) : 0,
      liveBytes: opts.sizes !== false ? await treeSize(liveDirOf(hex, p)) : 0,
      uniqueBlobBytes: unique,
      inUse: live.has(hex),
    };
    if (meta?.arch) e.arch = meta.arch;
    entries.push(e);
  }
  entries.sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
  const blobBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  const rootfsBytes = entries.reduce((a, e) => a + e.rootfsBytes, 0);
  const liveBytes = entries.reduce((a, e) => a + e.liveBytes, 0);
  const sized = async (d: string): Promise<number> => (opts.sizes === false ? 0 : treeSize(d));
  const tmpBytes = await sized(p.tmp);
  const metaBytes = (await sized(p.meta)) + (await sized(p.locks));
  // live/ entries that are not an entry's (unexpected names) count as live bytes too.
  let liveOther = 0;
  for (const n of await safeReaddir(p.live)) if (!/^sha256-[a-f0-9]{64}$/.test(n)) liveOther += await sized(join(p.live, n));
  // oci/ beyond blobs and images (e.g. skopeo's index.json / oci-layout files).
  let ociOther = 0;
  for (const n of await safeReaddir(join(p.root, 'oci'))) if (n !== 'blobs' && n !== 'images') ociOther += await sized(join(p.root, 'oci', n));
  const unmanaged: { name: string; bytes: number }[] = [];
  for (const n of (await safeReaddir(p.root)).sort()) if (!MANAGED.has(n)) unmanaged.push({ name: n, bytes: await sized(join(p.root, n)) });
  const totalBytes =
    blobBytes + rootfsBytes + liveBytes + liveOther + ociOther + metaBytes + tmpBytes + unmanaged.reduce((a, u) => a + u.bytes, 0);
  return { root: p.root, entries, blobBytes, rootfsBytes, liveBytes: liveBytes + liveOther, metaBytes, tmpBytes, unmanaged, totalBytes };
}

export interface PruneResult {
  before: number;
  after: number;
  removed: { digest: string; bytes: number; refs: string[] }[];
  /** Entries that would have gone but are in use. */
  skippedInUse: string[];
  /** Blobs no image references any more (deleted). */
  orphanBlobBytes: number;
}

/** Move a path out of the way atomically (into tmp/), then delete it. */
async function trash(path: string, p: CachePaths): Promise<string | undefined> {
  const dest = join(p.tmp, `trash-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(path, dest);
    return dest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Shrink the cache to at most `maxBytes`, least recently used entries first. An entry in use (a live process holds
 * its marker) is never deleted: the entry is moved away first and the markers checked after — if one appeared,
 * the entry is put back. Stale work dirs of dead processes and unreferenced blobs go too.
 */
export async function pruneCache(maxBytes: number, p: CachePaths = cachePaths()): Promise<PruneResult> {
  await ensureCache(p);
  await cleanStaleTmp(p);
  const sum = await listCache(p);
  const res: PruneResult = { before: sum.totalBytes, after: sum.totalBytes, removed: [], skippedInUse: [], orphanBlobBytes: 0 };
  let total = sum.totalBytes;
  for (const e of sum.entries) {
    if (total <= maxBytes) break;
    const hex = hexOf(e.digest);
    if (e.inUse) {
      res.skippedInUse.push(e.digest);
      continue;
    }
    const moved = [await trash(join(p.rootfs, hex), p), await trash(join(p.images, hex), p), await trash(liveDirOf(hex, p), p)];
    if (liveLocks(p).has(hex)) {
      // An intake started using it meanwhile: put it back.
      if (moved[0]) await rename(moved[0], join(p.rootfs, hex)).catch(() => rm(moved[0]!, { recursive: true, force: true }));
      if (moved[1]) await rename(moved[1], join(p.images, hex)).catch(() => rm(moved[1]!, { recursive: true, force: true }));
      if (moved[2]) await rename(moved[2], liveDirOf(hex, p)).catch(() => rm(moved[2]!, { recursive: true, force: true }));
      res.skippedInUse.push(e.digest);
      continue;
    }
    for (const m of moved) if (m) await rm(m, { recursive: true, force: true });
    await rm(join(p.meta, `${hex}.json`), { force: true });
    const freedBlobs = await collectOrphanBlobs(p);
    const bytes = e.rootfsBytes + e.liveBytes + freedBlobs;
    total -= bytes;
    res.removed.push({ digest: e.digest, bytes, refs: e.refs });
  }
  res.orphanBlobBytes = await collectOrphanBlobs(p);
  // What is left, measured rather than estimated: every folder counts (unmanaged ones are never removed).
  res.after = (await listCache(p)).totalBytes;
  return res;
}

const YOUNG_MS = 10 * 60_000;

/** Delete shared blobs no image layout references and no in-use entry needs. Returns the bytes freed. */
export async function collectOrphanBlobs(p: CachePaths = cachePaths()): Promise<number> {
  const keep = new Set<string>();
  for (const hex of await safeReaddir(p.images)) for (const b of await layoutBlobs(join(p.images, hex))) keep.add(b);
  // Blobs of entries being pulled right now (their layout is not in place yet) are listed in their metadata.
  const live = liveLocks(p);
  for (const hex of live) {
    const meta = await readMeta(hex, p);
    for (const d of meta?.blobs ?? []) keep.add(d.replace(/^sha256:/, ''));
  }
  // And any blob a pull in progress may have reused: the work layouts in tmp/ hold links to them.
  let pulling = false;
  for (const n of await safeReaddir(p.tmp)) {
    const m = /^day0-pull-(\d+)-/.exec(n);
    if (!m) continue;
    if (pidAlive(Number(m[1]))) pulling = true;
    for (const b of await layoutBlobs(join(p.tmp, n, 'layout'))) keep.add(b);
  }
  // While any intake runs, young blobs may belong to a pull that has not linked them anywhere yet.
  const guardYoung = pulling || live.size > 0;
  let freed = 0;
  for (const n of await safeReaddir(p.blobs)) {
    if (keep.has(n)) continue;
    const f = join(p.blobs, n);
    try {
      const st = await stat(f);
      if (guardYoung && Date.now() - st.mtimeMs < YOUNG_MS) continue;
      await rm(f, { force: true });
      freed += st.blocks * 512;
    } catch {
      /* raced */
    }
  }
  return freed;
}

/** Work dirs left by processes that died (kill -9, power loss): `day0-<what>-…` dirs whose pid is gone. */
export async function cleanStaleTmp(p: CachePaths = cachePaths()): Promise<void> {
  await reclaimLiveTemps(p);
  for (const n of await safeReaddir(p.tmp)) {
    const m = /^(?:day0-[a-z]+-|trash-)(\d+)-/.exec(n);
    if (!m) continue;
    if (pidAlive(Number(m[1]))) continue;
    await rm(join(p.tmp, n), { recursive: true, force: true });
  }
}

