// Image references in the transport syntax users know from skopeo and podman. Parsing is strict: anything day0
// cannot pin to one manifest digest (short names resolved through search registries, unknown transports) is refused
// with the list of accepted forms.
import { isAbsolute, resolve } from 'node:path';
import { Day0Error } from '../util/errors.js';
import type { ImageRef } from './types.js';

export const ACCEPTED_FORMS = [
  'docker://HOST/REPO[:TAG|@sha256:DIGEST]',
  'HOST/REPO[:TAG|@sha256:DIGEST]',
  'oci-archive:PATH[:TAG]',
  'oci:DIR[:TAG]',
  'containers-storage:REF',
];

const FORMS_FIX = `use one of: ${ACCEPTED_FORMS.join(', ')} (e.g. quay.io/fedora/fedora-coreos:stable)`;

// The grammar of github.com/distribution/reference, reduced to what a fully qualified name needs.
const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^(${HOST})/(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Tags inside OCI layouts (org.opencontainers.image.ref.name) may carry `/` and `:`, e.g. `day0/demo:latest`. */
const LAYOUT_TAG_RE = /^[A-Za-z0-9._-]+(?:[:/@+][A-Za-z0-9._-]+)*$/;

/** Transports of skopeo/podman (and URL schemes) that day0 does not take; named so the error says so. */
const OTHER_TRANSPORTS = new Set([
  'docker-daemon', 'docker-archive', 'dir', 'ostree', 'sif', 'tarball', 'atomic', 'http', 'https', 'file', 'ftp', 'oci-dir',
]);

function refError(input: string, why: string, fix = FORMS_FIX): Day0Error {
  return new Day0Error(`invalid image reference "${input}": ${why}`, { fix });
}

function looksLikeHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
}

function parseDockerName(input: string, rest: string): ImageRef {
  let name = rest;
  let digest: string | undefined;
  let tag: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      throw refError(input, `"${digest}" is not a sha256 digest`, 'write the digest as @sha256:<64 lowercase hex digits>');
    }
  }
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG_RE.test(tag)) throw refError(input, `"${tag}" is not a valid tag`, 'a tag is up to 128 letters, digits, _ . -');
  }
  const first = name.split('/')[0] ?? '';
  if (!name.includes('/') || !looksLikeHost(first)) {
    throw refError(
      input,
      'the registry host is missing (short names are not resolved: they could pull from any search registry)',
      `name the registry, e.g. quay.io/${name || 'org/image'}${tag ? `:${tag}` : ''} or localhost:5000/${name || 'image'}`,
    );
  }
  if (!NAME_RE.test(name)) {
    throw refError(input, `"${name}" is not a valid HOST/REPO name (repository paths are lowercase)`);
  }
  const ref: ImageRef = { transport: 'docker', name };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = 'latest';
  return ref;
}

/** `PATH[:TAG]` as skopeo splits it: at the first colon (paths with colons are not supported by skopeo either). */
function parseLayout(input: string, transport: 'oci' | 'oci-archive', rest: string, cwd: string): ImageRef {
  const colon = rest.indexOf(':');
  const path = colon >= 0 ? rest.slice(0, colon) : rest;
  const tag = colon >= 0 ? rest.slice(colon + 1) : undefined;
  if (!path) throw refError(input, `${transport}: needs a path`, `write ${transport}:${transport === 'oci' ? 'DIR' : 'PATH'}[:TAG]`);
  if (tag !== undefined && !LAYOUT_TAG_RE.test(tag)) {
    throw refError(input, `"${tag}" is not a valid tag in an OCI layout`, `write ${transport}:PATH:TAG, e.g. ${transport}:${path}:latest`);
  }
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  return tag ? { transport, path: abs, tag } : { transport, path: abs };
}

/** Parse what the user typed; relative layout paths are made absolute against `cwd`. */
export function parseImageRef(input: string, cwd = process.cwd()): ImageRef {
  const s = input.trim();
  if (!s) throw refError(input, 'empty');
  if (/\s/.test(s)) throw refError(input, 'contains white space');
  if (s.startsWith('docker://')) return parseDockerName(input, s.slice('docker://'.length));
  if (s.startsWith('oci-archive:')) return parseLayout(input, 'oci-archive', s.slice('oci-archive:'.length), cwd);
  if (s.startsWith('oci:')) return parseLayout(input, 'oci', s.slice('oci:'.length), cwd);
  if (s.startsWith('containers-storage:')) {
    const r = s.slice('containers-storage:'.length);
    if (!r) throw refError(input, 'containers-storage: needs an image name or ID', 'write containers-storage:NAME[:TAG] or containers-storage:IMAGE-ID');
    return { transport: 'containers-storage', ref: r };
  }
  const transport = /^([a-z][a-z0-9-]*):/.exec(s)?.[1];
  if (transport && OTHER_TRANSPORTS.has(transport)) {
    throw refError(input, `transport "${transport}:" is not supported`);
  }
  return parseDockerName(input, s);
}

/** The reference in skopeo's syntax (what `skopeo inspect`/`copy` take). */
export function skopeoRef(ref: ImageRef): string {
  switch (ref.transport) {
    case 'docker':
      return `docker://${ref.name}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
    case 'oci':
    case 'oci-archive':
      return `${ref.transport}:${ref.path}${ref.tag ? `:${ref.tag}` : ''}`;
    case 'containers-storage':
      return `containers-storage:${ref.ref}`;
  }
}

/** A short human form for messages. */
export function displayRef(ref: ImageRef): string {
  switch (ref.transport) {
    case 'docker':
      return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
    default:
      return skopeoRef(ref);
  }
}

/** The registry host of a docker reference (for auth lookup and messages). */
export function registryHost(ref: ImageRef): string | undefined {
  return ref.transport === 'docker' ? ref.name.split('/')[0] : undefined;
}
