// The output directory contract:
//
// - Lock: a build holds DIR/.day0-lock (its pid) from open() to close(). A second build into the same DIR fails at
//   once naming the holder's pid, or waits for it with `wait`. A lock whose pid is dead (kill -9) is taken over.
//   Within one process the lock is re-entrant (the CLI may hold it around build + check-boot + build.json).
// - Ownership: DIR/<arch>/ belongs to the build. When it commits, files an earlier day0 build made there (listed in
//   the previous DIR/build.json) that this build did not make are removed; nothing else is touched. A non-empty DIR
//   that is not a day0 output (no build.json, not only day0's own files) is refused before anything is built.
// - Atomic publish: artifacts are made in a private staging dir beside the outputs (same filesystem) and published
//   only at commit, all together, after every one of them succeeded: the old build.json is withdrawn first, the
//   artifacts renamed into place, then SHA256SUMS and (by the caller) build.json are written through temp names.
//   A failed build (close() without commit) publishes nothing and leaves the previous outputs as they were.
// - Leftovers: staging dirs of builds whose pid is dead (`.day0-staging-<pid>-*`, which may hold a plaintext config)
//   and dead check-boot work dirs in DIR/check-boot/ are removed when the next build opens DIR.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { access, chmod, constants, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { onCleanup, type Registration } from '../util/cleanup.js';
import { Day0Error } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { pidAlive, reclaimDead, STAGING_PATTERN, TEMP_DIR_PATTERN } from '../util/stale.js';

export interface Artifact {
  /** Kind: pxe-kernel, pxe-initramfs, pxe-rootfs, pxe-ignition, pxe-config, iso, metal, metal4k, qemu, vmware, azure */
  kind: string;
  /** Path relative to the output dir, e.g. x86_64/demo-live.x86_64.iso */
  path: string;
  size: number;
  sha256: string;
}

export const LOCK_FILE = '.day0-lock';
export const RECORD_FILE = 'build.json';
export const SUMS_FILE = 'SHA256SUMS';
const LEGACY_STAGING = /^\.day0-staging-[A-Za-z0-9]{6}$/;

export interface OpenOptions {
  /** Wait for another build holding the lock instead of failing at once. */
  wait?: boolean;
  /** Poll interval while waiting (ms). */
  pollMs?: number;
  /** Called once when waiting starts, with the holder's pid. */
  onWait?: (pid: number) => void;
}

// --- the lock ---

interface HeldLock {
  path: string;
  count: number;
}
const heldLocks = new Map<string, HeldLock>();
let exitHook = false;

function readLockPid(path: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Take DIR's lock once: true when taken, else the live holder's pid. */
function tryLock(path: string): true | number {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = readLockPid(path);
    if (pid !== undefined && pidAlive(pid)) return pid;
    if (pid === undefined && Date.now() - (mtimeMs(path) ?? 0) < 2000) {
      // Created this instant and not yet written by its owner: report it as held by an unknown pid for now.
      return 0;
    }
    // The holder is dead (kill -9): take the lock over — unlink it if it still names that dead pid, then race
    // for the exclusive create again.
    try {
      if (readLockPid(path) === pid) unlinkSync(path);
    } catch {
      /* another process took it over first */
    }
  }
  return readLockPid(path) ?? 0;
}

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

async function acquireLock(dir: string, opts: OpenOptions): Promise<Registration> {
  const path = join(dir, LOCK_FILE);
  const held = heldLocks.get(path);
  if (held) {
    held.count++;
  } else {
    let announced = false;
    for (;;) {
      const r = tryLock(path);
      if (r === true) break;
      if (!opts.wait) {
        throw new Day0Error(`the output directory ${dir} is in use by another day0 build (${r > 0 ? `pid ${r}` : 'starting now'})`, {
          fix: `wait for it to finish (pass --wait to queue behind it), or use another -o directory; if pid ${r} is not day0, remove ${path}`,
        });
      }
      if (!announced) {
        announced = true;
        opts.onWait?.(r);
      }
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 500));
    }
    heldLocks.set(path, { path, count: 1 });
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const l of heldLocks.values()) {
          try {
            if (readLockPid(l.path) === process.pid) unlinkSync(l.path);
          } catch {
            /* gone */
          }
        }
      });
    }
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    const l = heldLocks.get(path);
    if (!l) return;
    if (--l.count > 0) return;
    heldLocks.delete(path);
    try {
      if (readLockPid(path) === process.pid) unlinkSync(path);
    } catch {
      /* gone */
    }
  };
  return onCleanup(`output directory lock ${path}`, release);
}

// --- ownership ---

interface PreviousRecord {
  artifacts: string[];
}

async function readPreviousRecord(dir: string): Promise<PreviousRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, RECORD_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    // Either one build's record ({day0, artifacts: […]}) or a multi-arch run's ({day0, builds: {ARCH: {artifacts}}}).
    type Rec = { artifacts?: { path?: unknown }[] };
    const r = JSON.parse(text) as Rec & { day0?: unknown; builds?: Record<string, Rec> };
    if (!r || typeof r !== 'object' || r.day0 === undefined) return undefined;
    const recs: Rec[] = [r, ...(r.builds && typeof r.builds === 'object' ? Object.values(r.builds) : [])];
    const artifacts = recs
      .flatMap((x) => (x && Array.isArray(x.artifacts) ? x.artifacts : []))
      .map((a) => a?.path)
      .filter((p): p is string => typeof p === 'string');
    return { artifacts };
  } catch {
    return undefined;
  }
}

/** Is `rel` a plain relative path inside the output dir (no "..", not absolute)? */
function insideDir(rel: string): boolean {
  return rel !== '' && !rel.startsWith('/') && !rel.split(/[\\/]/).includes('..');
}

/** Names at the top of DIR that day0 itself makes (so a dir holding only these counts as a day0 output). */
function isDay0Name(n: string): boolean {
  return n === LOCK_FILE || n === SUMS_FILE || n === RECORD_FILE || n === 'check-boot' || n.startsWith('.day0-');
}

async function checkOwnership(dir: string): Promise<PreviousRecord | undefined> {
  const prev = await readPreviousRecord(dir);
  if (prev) return prev;
  const names = await readdir(dir);
  const foreign = names.filter((n) => !isDay0Name(n));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ', …' : '');
    throw new Day0Error(`the output directory ${dir} is not empty and is not a day0 output (no ${RECORD_FILE}; it holds ${shown})`, {
      fix: 'pass an empty or new directory with -o, or the directory of an earlier day0 build',
    });
  }
  return undefined;
}

/** Filesystems that hold no files (kernel interfaces): an output dir there would hang or fail oddly. */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x1cd1: 'devpts', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x64626720: 'debugfs',
  0x74726163: 'tracefs', 0x73636673: 'securityfs', 0x62656570: 'configfs', 0xcafe4a11: 'bpf', 0x6165676c: 'pstore',
  0xde5e81e4: 'efivarfs', 0x19800202: 'mqueue', 0x42494e4d: 'binfmt_misc', 0x6e736673: 'nsfs',
};

/** The nearest existing ancestor of `dir` (itself when it exists). */
async function existingAncestor(dir: string): Promise<string> {
  for (let p = dir; ; p = dirname(p)) {
    if (await lstat(p).then(() => true, () => false)) return p;
    if (dirname(p) === p) return p;
  }
}

/**
 * DIR must be (or become) a writable directory on a filesystem that holds files. Returns the first directory this
 * call created (undefined when DIR existed), so a build that fails before publishing can take it away again.
 */
async function checkDir(dir: string): Promise<string | undefined> {
  const st = await lstat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) {
    throw new Day0Error(`the output path ${dir} exists and is not a directory`, { fix: 'pass a directory (new or empty) with -o' });
  }
  const base = await existingAncestor(dir);
  if (base !== dir && !(await stat(base)).isDirectory()) {
    throw new Day0Error(`the output directory ${dir} cannot be made: ${base} is a file`, { fix: 'pass a directory path with -o' });
  }
  const fsType = PSEUDO_FS[Number((await statfs(base)).type)];
  if (fsType) {
    throw new Day0Error(`the output directory ${dir} is on ${fsType} (${base}), a kernel interface that holds no files`, {
      fix: 'pass a directory on a disk filesystem with -o (e.g. ./out)',
    });
  }
  try {
    await access(base, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Day0Error(`the output directory ${dir} cannot be written: ${base} is not writable (${code ?? 'access denied'})`, {
      fix: 'pass a writable directory with -o, or fix the permissions (or the read-only mount) of that one',
    });
  }
  try {
    return await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Day0Error(`cannot create the output directory ${dir}: ${code ?? (err as Error).message}`, {
      fix: 'pass a writable directory with -o',
    });
  }
}

/** Remove the directories a failed open()/build created, from DIR up to the first one, while they are empty. */
async function removeCreated(dir: string, firstCreated: string): Promise<void> {
  for (let p = dir; p.startsWith(firstCreated); p = dirname(p)) {
    try {
      await rmdir(p);
    } catch {
      return; // not empty (or gone): keep it and its parents
    }
    if (p === firstCreated) return;
  }
}

// --- the output dir ---

interface Pending {
  artifact: Artifact;
  /** Where it waits in staging. */
  staged: string;
  /** Final absolute path. */
  dest: string;
}

export class OutputDir {
  private readonly pending: Pending[] = [];
  private committed = false;

  private constructor(
    readonly dir: string,
    /** Staging dir: same filesystem as `dir`, so finished files are renamed, not copied. */
    readonly staging: string,
    private readonly reg: Registration,
    private readonly lock: Registration,
    /** What the previous build.json listed (undefined: no previous day0 build here). */
    private readonly previous: PreviousRecord | undefined,
    /** The first directory open() created for DIR (undefined: DIR existed). */
    private readonly created?: string,
  ) {}

  /**
   * Lock DIR (see the top of this file), check that it is a day0 output or empty, reclaim leftovers of dead builds,
   * and make a staging dir. Throws before anything is built when DIR cannot be used.
   */
  static async open(dir: string, opts: OpenOptions = {}): Promise<OutputDir> {
    const created = await checkDir(dir);
    const lock = await acquireLock(dir, opts);
    try {
      // Leftovers of builds that died: their staging dirs (owner pid in the name) and check-boot work copies.
      await reclaimDead(dir, STAGING_PATTERN);
      if (heldLocks.get(join(dir, LOCK_FILE))?.count === 1) {
        // Holding the lock, so no other build uses DIR: pid-less staging dirs of older day0 versions are dead too.
        for (const n of await readdir(dir)) if (LEGACY_STAGING.test(n)) await rm(join(dir, n), { recursive: true, force: true });
      }
      await reclaimDead(join(dir, 'check-boot'), TEMP_DIR_PATTERN);
      const previous = await checkOwnership(dir);
      const staging = await mkdtemp(join(dir, `.day0-staging-${process.pid}-`));
      const reg = onCleanup(`staging dir ${staging}`, () => rm(staging, { recursive: true, force: true }));
      return new OutputDir(dir, staging, reg, lock, previous, created);
    } catch (err) {
      await lock.dispose();
      if (created) await removeCreated(dir, created);
      throw err;
    }
  }

  /**
   * Checksum a finished file, make it 0600 if it holds the user's config (`secret`), and queue it for DIR/<sub>/<name>.
   * It is published with every other artifact by commit() (or writeChecksums(), which commits); until then it stays
   * in staging, so a build that fails later publishes nothing.
   */
  async publish(kind: string, stagedPath: string, sub: string, opts: { secret?: boolean } = {}): Promise<Artifact> {
    if (this.committed) throw new Error('OutputDir.publish after commit');
    const dest = join(this.dir, sub, basename(stagedPath));
    const sha256 = await sha256File(stagedPath);
    const { size } = await stat(stagedPath);
    if (opts.secret) await chmod(stagedPath, 0o600);
    // Park it under staging/.publish/<sub>/ so the work area can be cleaned freely meanwhile.
    const staged = join(this.staging, '.publish', sub, basename(stagedPath));
    await mkdir(dirname(staged), { recursive: true });
    if (stagedPath !== staged) await rename(stagedPath, staged);
    const artifact: Artifact = { kind, path: relative(this.dir, dest), size, sha256 };
    const dup = this.pending.findIndex((p) => p.dest === dest);
    if (dup >= 0) this.pending.splice(dup, 1);
    this.pending.push({ artifact, staged, dest });
    return artifact;
  }

  /** Artifacts queued so far. */
  get artifacts(): Artifact[] {
    return this.pending.map((p) => p.artifact);
  }

  /**
   * Publish every queued artifact together: withdraw the previous build.json, remove files the previous day0 build
   * made in the arch dirs this build writes and that it did not make again, rename the new ones into place, and
   * write SHA256SUMS. Idempotent; a no-op for an OutputDir that published nothing (e.g. only rewriting build.json).
   */
  async commit(): Promise<void> {
    if (this.committed) return;
    this.committed = true;
    if (this.pending.length === 0) return;
    // 1. No build.json describes a half-replaced dir: the old one goes first (the caller writes the new one last).
    await rename(join(this.dir, RECORD_FILE), join(this.staging, `old-${RECORD_FILE}`)).catch(() => undefined);
    // 2. Stale files of the previous build in the dirs this build owns.
    const subs = new Set(this.pending.map((p) => p.artifact.path.split(sep)[0]!));
    const now = new Set(this.pending.map((p) => p.artifact.path));
    for (const old of this.previous?.artifacts ?? []) {
      if (!insideDir(old) || now.has(old) || !subs.has(old.split(/[\\/]/)[0]!)) continue;
      await rm(join(this.dir, old), { force: true });
    }
    // 3. The new artifacts, all complete, into place.
    for (const p of this.pending) {
      await mkdir(dirname(p.dest), { recursive: true });
      await rename(p.staged, p.dest);
    }
    await this.writeSums(this.pending.map((p) => p.artifact), subs);
  }

  /** Write a small file atomically into DIR. */
  async writeFile(name: string, text: string, mode = 0o644): Promise<void> {
    const tmp = join(this.staging, `${name}.tmp`);
    await writeFile(tmp, text, { mode });
    await rename(tmp, join(this.dir, name));
  }

  /**
   * SHA256SUMS in the format `sha256sum -c` reads: this build's artifacts, plus entries of earlier builds for files
   * outside the arch dirs this build owns that still exist. Commits first (see commit()).
   */
  async writeChecksums(artifacts: Artifact[]): Promise<void> {
    if (!this.committed) {
      await this.commit();
      if (this.pending.length > 0) return; // commit wrote them
    }
    await this.writeSums(artifacts, new Set(artifacts.map((a) => a.path.split(sep)[0]!)));
  }

  private async writeSums(artifacts: Artifact[], owned: Set<string>): Promise<void> {
    const lines = new Map<string, string>();
    try {
      for (const l of (await readFile(join(this.dir, SUMS_FILE), 'utf8')).split('\n')) {
        const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(l);
        if (!m?.[2] || owned.has(m[2].split('/')[0]!)) continue;
        if (await stat(join(this.dir, m[2])).catch(() => undefined)) lines.set(m[2], l);
      }
    } catch {
      /* first build into this dir */
    }
    for (const a of artifacts) lines.set(a.path, `${a.sha256}  ${a.path}`);
    await this.writeFile(SUMS_FILE, `${[...lines.keys()].sort().map((k) => lines.get(k)).join('\n')}\n`);
  }

  /**
   * Remove the staging dir (uncommitted artifacts with it) and release the lock. A DIR this open() created and that
   * is empty again (the build failed before publishing) is removed too: a refused build leaves no empty dir behind.
   */
  async close(): Promise<void> {
    try {
      await this.reg.dispose();
    } finally {
      await this.lock.dispose();
      if (this.created && !heldLocks.has(join(this.dir, LOCK_FILE))) await removeCreated(this.dir, this.created);
    }
  }
}
