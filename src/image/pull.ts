// Pull: resolve a reference to ONE manifest digest, then copy exactly that digest into the content-addressed cache.
//
// - docker:// and containers-storage: are resolved with `skopeo inspect --raw` in the builder (one manifest read;
//   for an index, the arch's entry is chosen and read by digest) and copied with `skopeo copy NAME@DIGEST` into a
//   per-digest OCI layout whose blobs land in the shared blob store (`--dest-shared-blob-dir`): blobs the store
//   already has are not fetched again. A tag that moves mid-build cannot mix two images.
// - oci: and oci-archive: are read directly (index.json, manifests; for archives through the tar headers, without
//   extracting anything) and their blobs copied by digest into the store, each verified against its sha256.
//   skopeo 1.9 cannot address an image inside a layout by digest, and would extract a whole archive per call.
// - A digest whose layout is already cached, or whose blobs are all in the store, is not copied at all
//   (bytesPulled = 0).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import TOML from '@iarna/toml';
import { check, type Bind, type Executor, type RunResult } from '../executor/index.js';
import type { Arch } from '../profiles/schema.js';
import { onCleanup } from '../util/cleanup.js';
import { CACHE_SPACE_FIX, ensureSpace, isNoSpace, noSpaceError } from '../util/space.js';
import { Day0Error } from '../util/errors.js';
import { makeTempDir } from '../util/tmp.js';
import { checkConfigArch, isIndex, MANIFEST_MEDIA_TYPES, selectFromIndex, type Descriptor, type ImageIndex, type ImageManifest } from './arch.js';
import { authSecrets, redact, resolveAuthFile, type AuthFile } from './auth.js';
import { cachePaths, ensureCache, hexOf, markInUse, touchEntry, updateMeta, type CachePaths } from './cache.js';
import { displayRef, parseImageRef, registryHost, skopeoRef } from './ref.js';
import type { ImageRef, LayerInfo, PulledImage, PullOptions } from './types.js';

export interface IntakeContext {
  exec: Executor;
}

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: { Labels?: Record<string, string> | null };
  rootfs?: { type?: string; diff_ids?: string[] };
}

export function sha256(buf: Uint8Array): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

function parseJson<T>(raw: Buffer, what: string): T {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    throw new Day0Error(`${what} is not valid JSON`, { fix: 'the image source is damaged or not an OCI/Docker image; rebuild or re-push it' });
  }
}

function checkManifest(doc: unknown, what: string): ImageManifest {
  const m = doc as Partial<ImageManifest> & { schemaVersion?: number; mediaType?: string };
  if (m.schemaVersion === 1) {
    throw new Day0Error(`${what} uses the obsolete Docker schema 1 manifest format`, {
      fix: 'push the image again with a current tool (podman push / skopeo copy write schema 2 or OCI)',
    });
  }
  if (!m.config || !Array.isArray(m.layers) || typeof m.config.digest !== 'string') {
    throw new Day0Error(`${what} is not an image manifest (no config or layers)`, { fix: 'check the reference: it must name a container image' });
  }
  if (m.mediaType && !MANIFEST_MEDIA_TYPES.includes(m.mediaType)) {
    throw new Day0Error(`${what} has an unsupported manifest type ${m.mediaType}`, { fix: 'use an OCI or Docker schema 2 image' });
  }
  return m as ImageManifest;
}

// ---------------------------------------------------------------------------------------------------------------
// skopeo in the builder

/** Host files skopeo must see as podman would: registries.conf (mirrors, insecure flags), certs.d, policy.json. */
export function registryBinds(env: Record<string, string | undefined> = process.env, home = homedir()): Bind[] {
  const paths = [
    '/etc/containers/registries.conf',
    '/etc/containers/registries.conf.d',
    '/etc/containers/certs.d',
    '/etc/docker/certs.d',
    '/etc/containers/policy.json',
    '/etc/containers/registries.d',
    '/etc/pki/containers',
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'registries.conf'),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'registries.conf.d'),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'policy.json'),
  ];
  if (env.CONTAINERS_REGISTRIES_CONF) paths.push(env.CONTAINERS_REGISTRIES_CONF);
  return paths.filter((p) => existsSync(p)).map((path) => ({ path, readonly: true }));
}

/** Where the host's containers-storage lives (storage.conf, else podman's rootful defaults). */
export function storageBinds(): Bind[] {
  let graphroot = '/var/lib/containers/storage';
  let runroot = '/run/containers/storage';
  const conf = '/etc/containers/storage.conf';
  const binds: Bind[] = [];
  if (existsSync(conf)) {
    binds.push({ path: conf, readonly: true });
    try {
      const t = TOML.parse(readFileSync(conf, 'utf8')) as { storage?: { graphroot?: string; runroot?: string } };
      graphroot = t.storage?.graphroot || graphroot;
      runroot = t.storage?.runroot || runroot;
    } catch {
      /* podman would fail too; let skopeo say so */
    }
  }
  for (const p of [graphroot, runroot]) if (existsSync(p)) binds.push({ path: p });
  return binds;
}

interface SkopeoEnv {
  ref: ImageRef;
  auth: AuthFile | undefined;
  secrets: string[];
  tlsVerify: boolean;
  signal?: AbortSignal;
}

function transportBinds(ref: ImageRef): Bind[] {
  if (ref.transport === 'containers-storage') return storageBinds();
  if (ref.transport === 'oci' || ref.transport === 'oci-archive') return [{ path: ref.path, readonly: true }];
  return [];
}

async function runSkopeo(ctx: IntakeContext, se: SkopeoEnv, args: string[], extra: { binds?: Bind[]; onStdout?: (s: string) => void } = {}): Promise<RunResult> {
  const binds = [...registryBinds(), ...transportBinds(se.ref), ...(extra.binds ?? [])];
  if (se.auth) binds.push({ path: se.auth.path, readonly: true });
  // A registries.conf named by the environment, as podman honours it (skopeo 1.9 itself does not read the variable).
  const confEnv = process.env.CONTAINERS_REGISTRIES_CONF;
  const res = await ctx.exec.run({
    argv: ['skopeo', ...(confEnv ? ['--registries-conf', confEnv] : []), ...args],
    binds,
    network: se.ref.transport === 'docker' ? 'host' : 'none',
    label: `skopeo ${args[0]}`,
    ...(se.signal ? { signal: se.signal } : {}),
    ...(extra.onStdout ? { onStdout: extra.onStdout } : {}),
  });
  // Scrub, whatever the tool printed: no credential may reach a message.
  res.stderr = redact(res.stderr, se.secrets);
  res.stdout = redact(res.stdout, se.secrets);
  return res;
}

/** Turn skopeo's failures into errors that name the problem and the fix. */
function skopeoFailure(res: RunResult, se: SkopeoEnv, what: string): never {
  const err = res.stderr;
  const host = registryHost(se.ref);
  const name = displayRef(se.ref);
  if (res.killed) check(res, what);
  if (/unauthorized|authentication required|401 Unauthorized|invalid username\/password|denied: requested access/i.test(err)) {
    throw new Day0Error(`${what}: the registry ${host ?? ''} refused access to ${name} (authentication required or denied)`, {
      fix: se.auth
        ? `the credentials in ${se.auth.path} were not accepted for ${host}: log in again (podman login --authfile ${se.auth.path} ${host}) or use another auth file`
        : `log in (podman login ${host}) or pass --authfile FILE (a podman auth.json or an OpenShift pull secret); REGISTRY_AUTH_FILE works too`,
    });
  }
  if (/server gave HTTP response to HTTPS client/i.test(err)) {
    throw new Day0Error(`${what}: ${host} speaks plain HTTP, not HTTPS`, {
      fix: `pass --tls-verify=false if you trust this registry (or mark it insecure in registries.conf)`,
    });
  }
  if (/x509|certificate/i.test(err)) {
    throw new Day0Error(`${what}: TLS certificate of ${host} was not accepted:\n    ${err.trim().split('\n').slice(-3).join('\n    ')}`, {
      fix: `install the registry's CA as /etc/containers/certs.d/${host}/ca.crt, or pass --tls-verify=false for a registry you trust`,
    });
  }
  if (/manifest unknown|not found|does not exist|no such image|name unknown|identifier is not an image/i.test(err)) {
    throw new Day0Error(`${what}: ${name} was not found`, {
      fix: se.ref.transport === 'containers-storage' ? 'check the name with `podman images`' : 'check the repository, tag and digest (skopeo list-tags docker://HOST/REPO lists the tags)',
    });
  }
  if (/connection refused|no such host|dial tcp|i\/o timeout|network is unreachable/i.test(err)) {
    throw new Day0Error(`${what}: cannot reach ${host ?? name}:\n    ${err.trim().split('\n').slice(-2).join('\n    ')}`, {
      fix: 'check the host name, that the registry is running, and the network/proxy settings',
    });
  }
  check(res, what, 'run the same skopeo command by hand for details (see `day0 doctor` for the builder)');
  throw new Error('unreachable');
}

async function skopeoRaw(ctx: IntakeContext, se: SkopeoEnv, source: string, config = false): Promise<Buffer> {
  const args = ['inspect', '--raw', ...(config ? ['--config'] : [])];
  if (se.ref.transport === 'docker') {
    if (!se.tlsVerify) args.push('--tls-verify=false');
    if (se.auth) args.push('--authfile', se.auth.path);
  }
  args.push(source);
  const res = await runSkopeo(ctx, se, args);
  if (res.exitCode !== 0 || res.killed) skopeoFailure(res, se, `reading ${config ? 'the image config' : 'the manifest'} of ${displayRef(se.ref)}`);
  return Buffer.from(res.stdout, 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// Local layouts: oci: directories and oci-archive: tar files, read without extracting

interface BlobSource {
  /** Read a blob (verified by the caller). */
  open(digest: string): Promise<{ stream: Readable; size: number }>;
  read(digest: string): Promise<Buffer>;
  indexJson(): Promise<Buffer>;
  describe: string;
}

function blobRel(digest: string): string {
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest);
  if (!m) throw new Day0Error(`invalid digest ${digest} in the image`, { fix: 'the layout is damaged; recreate it' });
  return `blobs/${m[1]}/${m[2]}`;
}

function ociDirSource(dir: string): BlobSource {
  return {
    describe: `oci:${dir}`,
    async indexJson() {
      try {
        return await readFile(join(dir, 'index.json'));
      } catch {
        throw new Day0Error(`${dir} is not an OCI image layout (no index.json)`, {
          fix: 'give a directory written by `skopeo copy … oci:DIR:TAG` (or use oci-archive: for a tar file)',
        });
      }
    },
    async open(digest) {
      const f = join(dir, blobRel(digest));
      try {
        const st = await stat(f);
        return { stream: createReadStream(f), size: st.size };
      } catch {
        throw new Day0Error(`blob ${digest} is missing from oci:${dir}`, { fix: 'the layout is incomplete; copy the image into it again' });
      }
    },
    async read(digest) {
      try {
        return await readFile(join(dir, blobRel(digest)));
      } catch {
        throw new Day0Error(`blob ${digest} is missing from oci:${dir}`, { fix: 'the layout is incomplete; copy the image into it again' });
      }
    },
  };
}

interface TarEntry {
  offset: number;
  size: number;
}

/** Index the regular files of an (uncompressed) tar archive by reading its headers only. */
export async function indexTar(path: string): Promise<Map<string, TarEntry>> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new Day0Error(`cannot open ${path}: ${err.code ?? err.message}`, { fix: 'check the oci-archive path' });
  });
  const entries = new Map<string, TarEntry>();
  const notTar = (why: string) =>
    new Day0Error(`${path} is not a readable oci-archive (${why})`, {
      fix: 'give an uncompressed tar written by `skopeo copy … oci-archive:FILE` or `podman save --format oci-archive` (gunzip it first if compressed)',
    });
  try {
    const { size: fileSize } = await fh.stat();
    const hdr = Buffer.alloc(512);
    let pos = 0;
    let longName: string | undefined;
    let paxPath: string | undefined;
    for (let count = 0; ; count++) {
      if (count > 1_000_000) throw notTar('too many entries');
      const { bytesRead } = await fh.read(hdr, 0, 512, pos);
      if (bytesRead < 512) {
        if (count === 0) throw notTar('too short');
        break;
      }
      if (hdr.every((b) => b === 0)) break;
      if (count === 0 && hdr[0] === 0x1f && hdr[1] === 0x8b) throw notTar('it is gzip-compressed');
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : hdr[i]!;
      const stored = parseInt(hdr.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/g, '').trim(), 8);
      if (stored !== sum) throw notTar(`bad header checksum at byte ${pos}`);
      const field = (a: number, b: number) => {
        const s = hdr.subarray(a, b);
        const z = s.indexOf(0);
        return s.subarray(0, z < 0 ? s.length : z).toString('utf8');
      };
      let size: number;
      if (hdr[124]! & 0x80) {
        size = 0;
        for (let i = 125; i < 136; i++) size = size * 256 + hdr[i]!;
      } else size = parseInt(field(124, 136).trim() || '0', 8);
      const type = String.fromCharCode(hdr[156] || 48);
      const data = pos + 512;
      const next = data + Math.ceil(size / 512) * 512;
      if (next > fileSize + 512 * 2) throw notTar('truncated');
      if (type === 'x' || type === 'L') {
        if (size > 1 << 20) throw notTar('oversized extended header');
        const buf = Buffer.alloc(size);
        await fh.read(buf, 0, size, data);
        if (type === 'L') longName = buf.toString('utf8').replace(/\0+$/, '');
        else {
          for (const rec of buf.toString('utf8').split('\n')) {
            const m = /^\d+ path=(.*)$/.exec(rec);
            if (m) paxPath = m[1];
          }
        }
      } else {
        let name = field(0, 100);
        if (hdr.subarray(257, 262).toString('latin1') === 'ustar') {
          const prefix = field(345, 500);
          if (prefix) name = `${prefix}/${name}`;
        }
        name = (paxPath ?? longName ?? name).replace(/^(\.\/)+/, '');
        paxPath = undefined;
        longName = undefined;
        if (type === '0' || type === '\0' || type === '7') entries.set(name, { offset: data, size });
      }
      pos = next;
    }
  } finally {
    await fh.close();
  }
  return entries;
}

async function ociArchiveSource(path: string): Promise<BlobSource> {
  const entries = await indexTar(path);
  const entry = (name: string, what: string): TarEntry => {
    const e = entries.get(name);
    if (!e) throw new Day0Error(`${what} is missing from oci-archive:${path}`, { fix: 'the archive is incomplete or not an OCI archive; write it again with skopeo copy' });
    return e;
  };
  const readEntry = async (e: TarEntry): Promise<Buffer> => {
    if (e.size > 64 << 20) throw new Day0Error(`an oversized metadata blob in ${path}`, { fix: 'the archive is damaged' });
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(e.size);
      await fh.read(buf, 0, e.size, e.offset);
      return buf;
    } finally {
      await fh.close();
    }
  };
  if (!entries.has('index.json')) {
    throw new Day0Error(`${path} is not an OCI archive (no index.json inside)`, {
      fix: entries.has('manifest.json') ? 'it looks like a docker-archive: convert it with `skopeo copy docker-archive:FILE oci-archive:OUT`' : 'give a tar written by skopeo copy … oci-archive:FILE',
    });
  }
  return {
    describe: `oci-archive:${path}`,
    indexJson: () => readEntry(entry('index.json', 'index.json')),
    read: (digest) => readEntry(entry(blobRel(digest), `blob ${digest}`)),
    async open(digest) {
      const e = entry(blobRel(digest), `blob ${digest}`);
      const stream = e.size ? createReadStream(path, { start: e.offset, end: e.offset + e.size - 1 }) : Readable.from([]);
      return { stream, size: e.size };
    },
  };
}

async function readVerified(src: BlobSource, d: Descriptor | string, what: string): Promise<Buffer> {
  const digest = typeof d === 'string' ? d : d.digest;
  const buf = await src.read(digest);
  if (sha256(buf) !== digest) {
    throw new Day0Error(`${what} in ${src.describe} does not match its digest ${digest}`, { fix: 'the layout is damaged or was modified; recreate it' });
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution

interface Resolved {
  digest: string;
  indexDigest?: string;
  manifestRaw: Buffer;
  manifest: ImageManifest;
  config: ImageConfig;
  configRaw: Buffer;
  /** `name@digest` / `oci:DIR@digest`: what was pinned. */
  pinned: string;
  /** skopeo source for copy (docker, containers-storage). */
  copySource?: string;
  /** Local layout to copy blobs from (oci, oci-archive). */
  local?: BlobSource;
}

async function readCachedBlob(p: CachePaths, digest: string): Promise<Buffer | undefined> {
  try {
    const buf = await readFile(join(p.blobs, hexOf(digest)));
    return sha256(buf) === digest ? buf : undefined;
  } catch {
    return undefined;
  }
}

async function resolveRemote(ctx: IntakeContext, se: SkopeoEnv, arch: Arch, p: CachePaths): Promise<Resolved> {
  const ref = se.ref;
  const what = displayRef(ref);
  let base: string;
  let top: string;
  if (ref.transport === 'docker') {
    base = `docker://${ref.name}`;
    top = ref.digest ? `${base}@${ref.digest}` : `${base}:${ref.tag ?? 'latest'}`;
  } else if (ref.transport === 'containers-storage') {
    base = 'containers-storage:';
    top = skopeoRef(ref);
  } else throw new Error('resolveRemote: local transport');

  // A digest reference whose manifest is cached needs no network at all.
  const pinnedTop = ref.transport === 'docker' ? ref.digest : undefined;
  let raw = pinnedTop ? await readCachedBlob(p, pinnedTop) : undefined;
  raw ??= await skopeoRaw(ctx, se, top);
  const topDigest = sha256(raw);
  if (pinnedTop && topDigest !== pinnedTop) {
    throw new Day0Error(`the registry returned a manifest for ${what} whose digest is ${topDigest}`, {
      fix: 'the registry or a mirror serves wrong content; check registries.conf mirrors and the registry',
    });
  }
  let doc = parseJson<unknown>(raw, `the manifest of ${what}`);
  let digest = topDigest;
  let indexDigest: string | undefined;
  let manifestRaw = raw;
  if (isIndex(doc)) {
    indexDigest = topDigest;
    const d = selectFromIndex(doc, arch, what);
    digest = d.digest;
    const childSrc = ref.transport === 'docker' ? `${base}@${digest}` : `containers-storage:${nameOf(ref)}@${digest}`;
    manifestRaw = (await readCachedBlob(p, digest)) ?? (await skopeoRaw(ctx, se, childSrc));
    if (sha256(manifestRaw) !== digest) {
      throw new Day0Error(`the manifest read for ${what}@${digest} does not match that digest`, { fix: 'the registry serves wrong content; check it and any mirrors' });
    }
    doc = parseJson<unknown>(manifestRaw, `the ${arch} manifest of ${what}`);
  }
  const manifest = checkManifest(doc, what);
  let configRaw = await readCachedBlob(p, manifest.config.digest);
  const pinnedSource = ref.transport === 'docker' ? `${base}@${digest}` : `containers-storage:@${hexOf(manifest.config.digest)}`;
  if (!configRaw) {
    configRaw = await skopeoRaw(ctx, se, ref.transport === 'docker' ? pinnedSource : indexDigest ? `containers-storage:${nameOf(ref)}@${digest}` : top, true);
    if (sha256(configRaw) !== manifest.config.digest) {
      // skopeo re-serialises some configs (e.g. from containers-storage); the arch check below still holds.
      if (ref.transport === 'docker') {
        throw new Day0Error(`the config blob of ${what} does not match its digest ${manifest.config.digest}`, { fix: 'the registry serves wrong content' });
      }
    }
  }
  const config = parseJson<ImageConfig>(configRaw, `the config of ${what}`);
  checkConfigArch(config, arch, indexDigest ? `the ${arch} entry of ${what}` : what);
  const r: Resolved = {
    digest,
    manifestRaw,
    manifest,
    config,
    configRaw,
    pinned: ref.transport === 'docker' ? `${ref.name}@${digest}` : pinnedSource,
    copySource: pinnedSource,
  };
  if (indexDigest) r.indexDigest = indexDigest;
  return r;
}

function nameOf(ref: ImageRef): string {
  if (ref.transport !== 'containers-storage') return '';
  return ref.ref.replace(/@sha256:[a-f0-9]{64}$/, '');
}

async function resolveLocal(ref: Extract<ImageRef, { transport: 'oci' | 'oci-archive' }>, arch: Arch): Promise<Resolved> {
  const src = ref.transport === 'oci' ? ociDirSource(ref.path) : await ociArchiveSource(ref.path);
  const what = skopeoRef(ref);
  const index = parseJson<ImageIndex>(await src.indexJson(), `index.json of ${src.describe}`);
  if (!Array.isArray(index.manifests)) throw new Day0Error(`index.json of ${src.describe} has no manifests list`, { fix: 'the layout is damaged; recreate it' });
  const REF_NAME = 'org.opencontainers.image.ref.name';
  let top: Descriptor;
  let indexDigest: string | undefined;
  let doc: unknown;
  let raw: Buffer;
  const tags = index.manifests.map((d) => d.annotations?.[REF_NAME]).filter((t): t is string => !!t);
  if (ref.tag) {
    const found = index.manifests.filter((d) => d.annotations?.[REF_NAME] === ref.tag);
    if (found.length === 0) {
      throw new Day0Error(`${src.describe} has no image tagged "${ref.tag}"`, {
        fix: tags.length ? `use one of its tags: ${tags.join(', ')}` : `it has no tags: write ${ref.transport}:${ref.path} without a tag`,
      });
    }
    top = found[0]!;
  } else if (index.manifests.length === 1) {
    top = index.manifests[0]!;
  } else if (index.manifests.every((d) => d.platform)) {
    // index.json itself lists one manifest per platform.
    top = selectFromIndex(index, arch, what);
  } else {
    throw new Day0Error(`${src.describe} holds ${index.manifests.length} images; name one`, {
      fix: tags.length ? `add a tag: ${tags.map((t) => `${ref.transport}:${ref.path}:${t}`).join(', ')}` : 'add a tag to the reference',
    });
  }
  raw = await readVerified(src, top, 'the manifest');
  doc = parseJson<unknown>(raw, `a manifest in ${src.describe}`);
  if (isIndex(doc)) {
    indexDigest = top.digest;
    top = selectFromIndex(doc, arch, what);
    raw = await readVerified(src, top, `the ${arch} manifest`);
    doc = parseJson<unknown>(raw, `a manifest in ${src.describe}`);
  }
  const manifest = checkManifest(doc, what);
  const configRaw = await readVerified(src, manifest.config, 'the image config');
  const config = parseJson<ImageConfig>(configRaw, `the config of ${what}`);
  checkConfigArch(config, arch, indexDigest ? `the ${arch} entry of ${what}` : what);
  const r: Resolved = { digest: top.digest, manifestRaw: raw, manifest, config, configRaw, pinned: `${ref.transport}:${ref.path}@${top.digest}`, local: src };
  if (indexDigest) r.indexDigest = indexDigest;
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// The blob store

/** Copy one blob into the store, verifying digest and size; returns the bytes written (0 when present). */
async function ingestBlob(p: CachePaths, src: BlobSource, d: Descriptor, signal?: AbortSignal): Promise<number> {
  const hex = hexOf(d.digest);
  const final = join(p.blobs, hex);
  if (existsSync(final)) return 0;
  const { stream, size } = await src.open(d.digest);
  if (size !== d.size) {
    stream.destroy();
    throw new Day0Error(`blob ${d.digest} in ${src.describe} is ${size} bytes, but the manifest says ${d.size}`, { fix: 'the layout is damaged; recreate it' });
  }
  const tmp = join(p.blobs, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const partial = onCleanup(`partial blob ${tmp}`, () => rm(tmp, { force: true }));
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(stream, tap, createWriteStream(tmp, { mode: 0o644 }), ...(signal ? [{ signal }] as const : []));
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== d.digest) {
      throw new Day0Error(`blob ${d.digest} in ${src.describe} has the wrong content (sha256 ${got})`, { fix: 'the layout is damaged or was modified; recreate it' });
    }
    await rename(tmp, final);
    return size;
  } finally {
    await partial.dispose();
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK') {
      await pipeline(createReadStream(from), createWriteStream(to));
      return;
    }
    throw err;
  }
}

/** Write the per-digest layout (index.json + blob links) into `dir`. */
async function assembleLayout(p: CachePaths, dir: string, manifest: Descriptor, blobs: string[], tag: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
        digest: manifest.digest,
        size: manifest.size,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  for (const b of new Set(blobs)) {
    const hex = hexOf(b);
    await linkOrCopy(join(p.blobs, hex), join(dir, 'blobs', 'sha256', hex));
  }
}

/** Rename a completed work dir into place; when another process got there first, keep theirs. */
async function publish(tmp: string, final: string): Promise<void> {
  await mkdir(dirname(final), { recursive: true });
  try {
    await rename(tmp, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

async function blobSet(p: CachePaths): Promise<Set<string>> {
  try {
    return new Set(await readdir(p.blobs));
  } catch {
    return new Set();
  }
}

/** The image layout in the cache: its manifest descriptor and parsed manifest/config. */
async function readLayout(dir: string): Promise<{ desc: Descriptor; manifest: ImageManifest; config: ImageConfig }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  const desc = index.manifests[0];
  if (!desc) throw new Error(`empty index in ${dir}`);
  const manifest = JSON.parse(await readFile(join(dir, blobRel(desc.digest)), 'utf8')) as ImageManifest;
  const config = JSON.parse(await readFile(join(dir, blobRel(manifest.config.digest)), 'utf8')) as ImageConfig;
  return { desc, manifest, config };
}

// ---------------------------------------------------------------------------------------------------------------

export interface PullResult extends PulledImage {
  /** Where the manifest came from: the cache (digest reference) or the source. */
  layoutCached: boolean;
}

/** Resolve `input` to one manifest digest and make sure that image is in the cache. */
export async function pullImage(ctx: IntakeContext, input: string, opts: PullOptions): Promise<PullResult> {
  const ref = parseImageRef(input);
  const p = await ensureCache(cachePaths());
  const auth = ref.transport === 'docker' ? resolveAuthFile(ref.name, opts.authfile) : undefined;
  const se: SkopeoEnv = { ref, auth, secrets: authSecrets(auth), tlsVerify: opts.tlsVerify !== false };
  if (opts.signal) se.signal = opts.signal;
  const progress = opts.onProgress ?? (() => undefined);

  progress(`resolving ${displayRef(ref)} (${opts.arch})`);
  const r = ref.transport === 'oci' || ref.transport === 'oci-archive' ? await resolveLocal(ref, opts.arch) : await resolveRemote(ctx, se, opts.arch, p);
  const hex = hexOf(r.digest);
  await markInUse(hex, p);
  const srcBlobs = [r.digest, r.manifest.config.digest, ...r.manifest.layers.map((l) => l.digest)];
  await updateMeta(hex, (m) => ({ ...m, refs: [...m.refs.filter((x) => x !== input), input].slice(-10), arch: opts.arch, blobs: srcBlobs }), p);

  const layoutDir = join(p.images, hex);
  let bytesPulled = 0;
  let layoutCached = true;
  if (!existsSync(join(layoutDir, 'index.json'))) {
    layoutCached = false;
    const work = await makeTempDir(`pull-${process.pid}`, p.tmp);
    try {
      const tmpLayout = join(work.path, 'layout');
      const have = await blobSet(p);
      const allPresent = srcBlobs.every((b) => have.has(hexOf(b)));
      const manifestDesc: Descriptor = {
        mediaType: r.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
        digest: r.digest,
        size: r.manifestRaw.length,
      };
      const missing = [r.manifest.config, ...r.manifest.layers].filter((d) => !have.has(hexOf(d.digest))).reduce((a, d) => a + d.size, 0);
      if (missing > 0) await ensureSpace(p.root, missing * 1.1 + 64 * 2 ** 20, `pulling ${displayRef(ref)}`, CACHE_SPACE_FIX);
      if (allPresent) {
        progress('all blobs are in the cache');
        await assembleLayout(p, tmpLayout, manifestDesc, srcBlobs, hex);
      } else if (r.local) {
        const total = r.manifest.layers.reduce((a, l) => a + l.size, 0);
        progress(`copying ${r.manifest.layers.length} layers (${(total / 1e6).toFixed(1)} MB) from ${r.local.describe}`);
        // Metadata blobs first (manifest bytes are what we verified), then the layers.
        if (!have.has(hex)) {
          const t = join(p.blobs, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
          await writeFile(t, r.manifestRaw);
          await rename(t, join(p.blobs, hex));
          bytesPulled += r.manifestRaw.length;
        }
        for (const d of [r.manifest.config, ...r.manifest.layers]) bytesPulled += await ingestBlob(p, r.local, d, opts.signal);
        await assembleLayout(p, tmpLayout, manifestDesc, srcBlobs, hex);
      } else {
        progress(`pulling ${r.pinned}`);
        // skopeo appends sha256/ itself, and renames from the layout dir into the store: one bind for both.
        const args = ['copy', '--dest-shared-blob-dir', dirname(p.blobs)];
        if (ref.transport === 'docker') {
          if (!se.tlsVerify) args.push('--src-tls-verify=false');
          if (auth) args.push('--src-authfile', auth.path);
        }
        args.push(r.copySource!, `oci:${tmpLayout}:${hex}`);
        const res = await runSkopeo(ctx, se, args, {
          binds: [{ path: p.root }],
          onStdout: (s) => s.split('\n').filter(Boolean).forEach((l) => progress(l.trim())),
        });
        if (res.exitCode !== 0 && !res.killed && isNoSpace(res.stderr)) throw await noSpaceError(p.root, `pulling ${displayRef(ref)}`, CACHE_SPACE_FIX);
        if (res.exitCode !== 0 || res.killed) skopeoFailure(res, se, `pulling ${displayRef(ref)}`);
        // skopeo may have converted the manifest (Docker schema 2 → OCI): link what it wrote.
        const idx = JSON.parse(await readFile(join(tmpLayout, 'index.json'), 'utf8')) as ImageIndex;
        const desc = idx.manifests[0];
        if (!desc) throw new Day0Error(`skopeo wrote no manifest for ${displayRef(ref)}`, { fix: 'run `day0 doctor` and retry' });
        const written = JSON.parse(await readFile(join(p.blobs, hexOf(desc.digest)), 'utf8')) as ImageManifest;
        const blobs = [desc.digest, written.config.digest, ...written.layers.map((l) => l.digest)];
        for (const b of blobs) if (!have.has(hexOf(b))) bytesPulled += (await stat(join(p.blobs, hexOf(b)))).size;
        await assembleLayout(p, tmpLayout, desc, blobs, hex);
      }
      await publish(tmpLayout, layoutDir);
    } finally {
      await work.dispose();
    }
  } else {
    progress('image is in the cache');
  }
  await touchEntry(hex, p);
  const { manifest, config } = await readLayout(layoutDir);
  await updateMeta(hex, (m) => ({
    ...m,
    blobs: [...new Set([...(m.blobs ?? []), manifest.config.digest, ...manifest.layers.map((l) => l.digest)])],
    blobBytes: manifest.layers.reduce((a, l) => a + l.size, 0) + manifest.config.size,
  }), p);
  const layers: LayerInfo[] = manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType ?? '' }));
  const out: PullResult = {
    input,
    pinned: r.pinned,
    digest: r.digest,
    arch: opts.arch,
    layoutDir,
    layoutTag: hex,
    labels: { ...(config.config?.Labels ?? {}) },
    layers,
    bytesPulled,
    layoutCached,
  };
  if (r.indexDigest) out.indexDigest = r.indexDigest;
  if (config.created) out.created = config.created;
  return out;
}

