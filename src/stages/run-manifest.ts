// day0's executor for osbuild version-2 manifests: pipelines in order, stages in order, each stage a thin call to
// the real tool inside the builder container (see the stage modules). What differs from osbuild, and why:
// - container-deploy pipelines are not copied: they map to the unpacked image (read-only) or to the builder
//   itself (the buildroot every stage already runs in);
// - filesystems on loopback regions are built as separate image files (mkfs.ext4 -d, mtools, a loop-mounted
//   XFS inside the builder) and written into the disk with dd — see filesystems.ts; identical filesystems are
//   built once per run;
// - only the inputs, devices and mounts that day0's own manifests use are supported; anything else is a clear
//   error that points to `--engine osbuild`.
import { chmod as chmodFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bind, Executor } from '../executor/types.js';
import type { Input, Manifest, Pipeline, Stage } from '../manifest/types.js';
import { assertValidManifest, osbuildReferenceDir } from '../manifest/validate.js';
import { Day0Error } from '../util/errors.js';
import * as chmod from './chmod.js';
import * as containerDeploy from './container-deploy.js';
import * as copy from './copy.js';
import { resolveDevices, resolveMounts } from './devices.js';
import { FilesystemJobs } from './filesystems.js';
import * as grub2Inst from './grub2-inst.js';
import * as ignition from './ignition.js';
import * as mkdirStage from './mkdir.js';
import * as mkfsExt4 from './mkfs-ext4.js';
import * as mkfsFat from './mkfs-fat.js';
import * as mkfsXfs from './mkfs-xfs.js';
import * as qemu from './qemu.js';
import * as sfdisk from './sfdisk.js';
import * as truncate from './truncate.js';
import * as ziplInst from './zipl-inst.js';
import { runQueue, type QueuedTool, type ResolvedInput, type StageEnv, type StageImpl } from './types.js';

export const STAGES: Record<string, StageImpl> = {
  'org.osbuild.truncate': truncate.run,
  'org.osbuild.sfdisk': sfdisk.run,
  'org.osbuild.mkfs.fat': mkfsFat.run,
  'org.osbuild.mkfs.ext4': mkfsExt4.run,
  'org.osbuild.mkfs.xfs': mkfsXfs.run,
  'org.osbuild.mkdir': mkdirStage.run,
  'org.osbuild.copy': copy.run,
  'org.osbuild.chmod': chmod.run,
  'org.osbuild.ignition': ignition.run,
  'org.osbuild.grub2.inst': grub2Inst.run,
  'org.osbuild.qemu': qemu.run,
  'org.osbuild.container-deploy': containerDeploy.run,
  'org.osbuild.zipl.inst': ziplInst.run,
};

/** Where a container-deploy pipeline's tree comes from. */
export type ContainerTree = { dir: string } | { builder: true };

export interface RunManifestOptions {
  exec: Executor;
  /** Private work dir (pipeline trees, filesystem images, inline sources); the caller removes it. */
  workDir: string;
  /** Image id ("sha256:…") → its unpacked root filesystem, or the builder image. */
  containers: Record<string, ContainerTree>;
  /** Pipelines wanted (with everything they depend on); default all. */
  exports?: string[];
  /** Validate against the osbuild schemas first: true, false, or only when the reference copy is present. */
  validate?: boolean | 'if-available';
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

export interface RunManifestResult {
  /** Pipeline name → host path of its tree ("/" = the builder's root). */
  trees: Record<string, string>;
  /** Seconds per pipeline, for reports and the benchmark. */
  timings: Record<string, number>;
}

const pipelineRef = (ref: string) => (ref.startsWith('name:') ? ref.slice(5) : ref);

function referencedPipelines(input: Input): string[] {
  if (input.origin !== 'org.osbuild.pipeline') return [];
  const r = input.references;
  if (Array.isArray(r)) return r.map((x) => pipelineRef(typeof x === 'string' ? x : x.id));
  return Object.keys(r).map(pipelineRef);
}

/** Pipelines needed for `exports`, in manifest order. */
export function pipelinesFor(manifest: Manifest, exports?: string[]): Pipeline[] {
  const byName = new Map(manifest.pipelines.map((p) => [p.name, p]));
  if (!exports) return manifest.pipelines;
  const need = new Set<string>();
  const visit = (name: string) => {
    if (need.has(name)) return;
    const p = byName.get(name);
    if (!p) throw new Day0Error(`the manifest has no pipeline "${name}"`, { fix: `export one of: ${[...byName.keys()].join(', ')}` });
    need.add(name);
    if (p.build) visit(pipelineRef(p.build));
    for (const s of p.stages) for (const i of Object.values(s.inputs ?? {})) for (const dep of referencedPipelines(i)) visit(dep);
  };
  exports.forEach(visit);
  return manifest.pipelines.filter((p) => need.has(p.name));
}

export async function runManifest(manifest: Manifest, o: RunManifestOptions): Promise<RunManifestResult> {
  const log = o.log ?? (() => undefined);
  if (o.validate !== false) {
    let haveReference = true;
    if (o.validate === 'if-available' || o.validate === undefined) {
      try { osbuildReferenceDir(); } catch { haveReference = false; }
    }
    if (haveReference) assertValidManifest(manifest, 'the build plan');
  }
  const trees: Record<string, string> = {};
  const builderRoot = new Set<string>();
  const timings: Record<string, number> = {};
  const built = new Map<string, string>();
  const sourceFiles = new Map<string, string>();
  const inline = (manifest.sources?.['org.osbuild.inline']?.items ?? {}) as Record<string, { encoding: string; data: string }>;

  const sourceFile = async (id: string): Promise<string> => {
    const have = sourceFiles.get(id);
    if (have) return have;
    const item = inline[id];
    if (!item) throw new Day0Error(`file ${id} is not in the manifest's org.osbuild.inline source`, { fix: 'day0\'s executor reads files from inline sources only; use --engine osbuild for others' });
    if (item.encoding !== 'base64') throw new Day0Error(`inline source encoding ${item.encoding} is not supported by day0's executor`, { fix: 'use base64' });
    const dir = join(o.workDir, 'sources');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, id.replace(':', '-'));
    // 0644 as osbuild's source store keeps them (a copied file keeps its mode: grub.cfg is 0644 in both engines);
    // the sources dir is 0700, and a secret copied out of it gets its own org.osbuild.chmod stage.
    await writeFile(file, Buffer.from(item.data, 'base64'), { mode: 0o644 });
    await chmodFile(file, 0o644);
    sourceFiles.set(id, file);
    return file;
  };

  const resolveInput = async (name: string, input: Input): Promise<ResolvedInput> => {
    if (input.type === 'org.osbuild.tree') {
      const [dep] = referencedPipelines(input);
      const path = dep ? trees[dep] : undefined;
      if (!dep || path === undefined) throw new Day0Error(`input ${name}: pipeline ${dep ?? '?'} was not built before it is used`, { fix: 'order pipelines so that inputs come first' });
      return { kind: 'tree', path, ...(builderRoot.has(dep) ? { builderRoot: true } : {}) };
    }
    if (input.type === 'org.osbuild.files') {
      const files: Record<string, string> = {};
      const r = input.references;
      if (input.origin === 'org.osbuild.source') {
        const ids = Array.isArray(r) ? r.map((x) => (typeof x === 'string' ? x : x.id)) : Object.keys(r);
        for (const id of ids) files[id] = await sourceFile(id);
      } else {
        const entries: [string, Record<string, unknown> | undefined][] = Array.isArray(r)
          ? r.map((x) => (typeof x === 'string' ? [x, undefined] : [x.id, x.options]))
          : Object.entries(r);
        for (const [ref, options] of entries) {
          const dep = pipelineRef(ref);
          const tree = trees[dep];
          const file = (options as { file?: string } | undefined)?.file;
          if (tree === undefined || !file) throw new Day0Error(`input ${name}: ${ref} needs a built pipeline and a "file"`, { fix: 'reference an earlier pipeline with options.file' });
          files[ref] = join(tree, file);
        }
      }
      return { kind: 'files', files };
    }
    throw new Day0Error(`input type ${input.type} is not supported by day0's executor`, { fix: 'run the manifest with --engine osbuild' });
  };

  for (const p of pipelinesFor(manifest, o.exports)) {
    const started = Date.now();
    // A pipeline that only deploys a container: its tree is the unpacked image (or the builder itself).
    if (p.stages.length === 1 && p.stages[0]!.type === 'org.osbuild.container-deploy') {
      const ids = containerDeploy.containerIds(p.stages[0]!);
      const t = ids.length === 1 ? o.containers[ids[0]!] : undefined;
      if (!t) throw new Day0Error(`pipeline ${p.name} deploys container ${ids.join(', ') || '(none)'}, which day0 was not given`, { fix: 'pass the unpacked image for that id (or use --engine osbuild)' });
      if ('builder' in t) {
        trees[p.name] = '/';
        builderRoot.add(p.name);
      } else {
        trees[p.name] = t.dir;
      }
      log(`pipeline ${p.name}: container tree ${trees[p.name]}`);
      continue;
    }
    const tree = join(o.workDir, 'trees', p.name);
    await mkdir(tree, { recursive: true });
    trees[p.name] = tree;
    const fs = new FilesystemJobs(built);
    const queue: QueuedTool[] = [];
    let lastEnv: StageEnv | undefined;
    for (const [si, stage] of p.stages.entries()) {
      o.signal?.throwIfAborted();
      const impl = STAGES[stage.type];
      if (!impl) throw new Day0Error(`stage ${stage.type} (pipeline ${p.name}) is not implemented by day0's executor`, { fix: `day0 runs: ${Object.keys(STAGES).join(', ')}; use --engine osbuild for others` });
      const inputs: Record<string, ResolvedInput> = {};
      for (const [n, i] of Object.entries(stage.inputs ?? {})) inputs[n] = await resolveInput(n, i);
      const devices = resolveDevices(stage, tree);
      const mounts = resolveMounts(stage, devices);
      const binds: Bind[] = [{ path: o.workDir }];
      for (const i of Object.values(inputs)) {
        if (i.kind === 'tree' && !i.builderRoot && !i.path.startsWith(o.workDir)) binds.push({ path: i.path, readonly: true });
      }
      const env: StageEnv = { exec: o.exec, workDir: o.workDir, pipeline: p.name, tree, inputs, devices, mounts, fs, binds, log, ...(o.signal ? { signal: o.signal } : {}) };
      const batch = batchable(stage);
      if (!batch) await runQueue(o.exec, queue, p.name, o.signal);
      if (!deferrable(stage) && fs.size > 0) await fs.flush(env);
      log(`pipeline ${p.name}: stage ${si + 1}/${p.stages.length} ${stage.type}`);
      await impl(stage, batch ? { ...env, queue } : env);
      lastEnv = env;
    }
    await runQueue(o.exec, queue, p.name, o.signal);
    if (lastEnv && fs.size > 0) await fs.flush(lastEnv);
    timings[p.name] = (Date.now() - started) / 1000;
  }
  return { trees, timings };
}

/** Tree-only stages whose tool calls can share one builder start with their neighbours. */
const BATCHABLE = new Set(['org.osbuild.truncate', 'org.osbuild.mkdir', 'org.osbuild.copy', 'org.osbuild.chmod', 'org.osbuild.ignition']);
function batchable(stage: Stage): boolean {
  return BATCHABLE.has(stage.type) && !(stage.mounts?.length) && Object.keys(stage.devices ?? {}).length === 0;
}

/**
 * Stages that mount filesystems to read or write them as they are on the disk (not only to add to a filesystem
 * job): the pending filesystems must be written into the disk before they run.
 */
const READS_MOUNTS = new Set(['org.osbuild.zipl.inst']);

/** Stages whose work on a disk region can wait for the filesystem build (they only add to filesystem jobs). */
export function deferrable(stage: Stage): boolean {
  if (READS_MOUNTS.has(stage.type)) return false;
  return stage.type.startsWith('org.osbuild.mkfs.') || (stage.mounts?.length ?? 0) > 0;
}

/** Tools `--engine osbuild` needs in the builder: osbuild, and podman + skopeo for its container-deploy stage. */
export const OSBUILD_ENGINE_TOOLS = ['osbuild', 'podman', 'skopeo'] as const;

/**
 * Why `--engine osbuild` cannot run here, checked before anything is pulled or built: the image must be one stock
 * osbuild can fetch (a registry or containers-storage: its skopeo source has no oci-archive/oci transport), and the
 * builder must carry osbuild, podman and skopeo.
 */
export async function checkOsbuildEngine(exec: Executor, imageRef: string): Promise<void> {
  if (/^(oci|oci-archive):/.test(imageRef)) {
    throw new Day0Error(`--engine osbuild cannot take ${imageRef.split(':')[0]} images: osbuild fetches containers from a registry or containers-storage only`, {
      fix: 'push the image to a registry (or `podman load` it and pass containers-storage:NAME), or use the default engine (day0)',
    });
  }
  const probe = await exec.run({
    argv: ['sh', '-c', 'for t in "$@"; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done', 'sh', ...OSBUILD_ENGINE_TOOLS],
    label: 'osbuild engine probe',
    timeoutMs: 60_000,
  });
  const missing = probe.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (probe.exitCode !== 0 || missing.length > 0) {
    throw new Day0Error(`--engine osbuild: ${exec.describe()} has no ${missing.join(', ') || 'shell to probe'} (osbuild runs the manifest, podman and skopeo deploy its containers)`, {
      fix: 'use the default engine (day0), which builds the same images; or build a builder image with osbuild (2024 or newer), podman and skopeo and point DAY0_BUILDER_IMAGE at it',
    });
  }
}

/** What osbuild must reach for the manifest's container sources: a registry (network) and/or containers-storage. */
export function osbuildNeeds(manifest: Manifest): { network: boolean; storage: string[] } {
  const items = (manifest.sources?.['org.osbuild.skopeo']?.items ?? {}) as Record<string, { image?: Record<string, unknown> }>;
  let network = false;
  const storage = new Set<string>();
  for (const it of Object.values(items)) {
    const img = it.image ?? {};
    if (img['containers-transport'] === 'containers-storage') storage.add(typeof img['storage-location'] === 'string' ? img['storage-location'] : DEFAULT_GRAPH_ROOT);
    else network = true;
  }
  if (manifest.sources?.['org.osbuild.containers-storage']) storage.add(DEFAULT_GRAPH_ROOT);
  return { network, storage: [...storage] };
}
const DEFAULT_GRAPH_ROOT = '/var/lib/containers/storage';

/**
 * `--engine osbuild`: hand the manifest to osbuild inside the builder, with its store and output dirs created, the
 * host network when a source is a registry, and the host's containers-storage when a source lives there.
 */
export async function runManifestWithOsbuild(exec: Executor, manifest: Manifest, manifestFile: string, outDir: string, storeDir: string, exports: string[]): Promise<void> {
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  await mkdir(outDir, { recursive: true });
  const needs = osbuildNeeds(manifest);
  const argv = ['osbuild', '--store', storeDir, '--output-directory', outDir, ...exports.flatMap((e) => ['--export', e]), manifestFile];
  const res = await exec.run({
    argv,
    binds: [{ path: manifestFile, readonly: true }, { path: outDir }, { path: storeDir }, ...needs.storage.map((path) => ({ path }))],
    network: needs.network ? 'host' : 'none',
    label: 'osbuild',
    timeoutMs: 2 * 3600_000,
  });
  if (res.exitCode !== 0) {
    const tail = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-12).join('\n    ');
    throw new Day0Error(`osbuild exited ${res.exitCode}${res.killed ? ' (killed)' : ''}${tail ? `; its last output:\n    ${tail}` : ' with no output'}`, {
      fix: 'check the manifest with `osbuild --inspect` (write it with --emit-manifest FILE), or use the default engine (day0)',
    });
  }
}
