// The output directory: artifacts are made in a private staging dir beside it and renamed into DIR/<arch>/ only
// when complete; SHA256SUMS and build.json are written through temp names. A failed build leaves no half artifact.
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { onCleanup, type Registration } from '../util/cleanup.js';
import { sha256File } from '../util/hash.js';

export interface Artifact {
  /** Kind: pxe-kernel, pxe-initramfs, pxe-rootfs, pxe-ignition, pxe-config, iso, metal, metal4k, qemu, vmware, azure */
  kind: string;
  /** Path relative to the output dir, e.g. x86_64/demo-live.x86_64.iso */
  path: string;
  size: number;
  sha256: string;
}

export class OutputDir {
  private constructor(
    readonly dir: string,
    /** Staging dir: same filesystem as `dir`, so finished files are renamed, not copied. */
    readonly staging: string,
    private readonly reg: Registration,
  ) {}

  static async open(dir: string): Promise<OutputDir> {
    await mkdir(dir, { recursive: true });
    const staging = await mkdtemp(join(dir, '.day0-staging-'));
    const reg = onCleanup(`staging dir ${staging}`, () => rm(staging, { recursive: true, force: true }));
    return new OutputDir(dir, staging, reg);
  }

  /**
   * Move a finished file from staging to DIR/<sub>/<name>, checksum it, and describe it. `secret`: the file holds
   * the user's Ignition config (embedded ISO area, baked metal disk), so it is made 0600 before it appears.
   */
  async publish(kind: string, stagedPath: string, sub: string, opts: { secret?: boolean } = {}): Promise<Artifact> {
    const destDir = join(this.dir, sub);
    await mkdir(destDir, { recursive: true });
    const dest = join(destDir, basename(stagedPath));
    const sha256 = await sha256File(stagedPath);
    const { size } = await stat(stagedPath);
    if (opts.secret) await chmod(stagedPath, 0o600);
    await rename(stagedPath, dest);
    return { kind, path: relative(this.dir, dest), size, sha256 };
  }

  /** Write a small file atomically into DIR. */
  async writeFile(name: string, text: string, mode = 0o644): Promise<void> {
    const tmp = join(this.staging, `${name}.tmp`);
    await writeFile(tmp, text, { mode });
    await rename(tmp, join(this.dir, name));
  }

  /** SHA256SUMS in the format `sha256sum -c` reads, merged with entries of earlier builds into the same dir. */
  async writeChecksums(artifacts: Artifact[]): Promise<void> {
    const lines = new Map<string, string>();
    try {
      for (const l of (await readFile(join(this.dir, 'SHA256SUMS'), 'utf8')).split('\n')) {
        const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(l);
        if (m?.[2] && (await stat(join(this.dir, m[2])).catch(() => undefined))) lines.set(m[2], l);
      }
    } catch {
      /* first build into this dir */
    }
    for (const a of artifacts) lines.set(a.path, `${a.sha256}  ${a.path}`);
    await this.writeFile('SHA256SUMS', `${[...lines.keys()].sort().map((k) => lines.get(k)).join('\n')}\n`);
  }

  async close(): Promise<void> {
    await this.reg.dispose();
  }
}
