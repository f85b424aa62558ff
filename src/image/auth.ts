// Registry credentials, found the way podman and skopeo find them, and handed to skopeo only as a file path:
// credentials never appear in argv, logs or errors (not even in JSON parse errors, which quote the input).
//
// Order (containers-auth.json(5)):
//   1. --authfile FILE                     (only that file)
//   2. $REGISTRY_AUTH_FILE                 (only that file)
//   3. ${XDG_RUNTIME_DIR}/containers/auth.json, or /run/containers/$UID/auth.json when XDG_RUNTIME_DIR is unset
//   4. ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json
//   5. ${DOCKER_CONFIG:-~/.docker}/config.json
// For the default locations (3–5) the first file holding credentials for the registry wins, as in containers/image,
// which looks each one up in turn.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { JsonSyntaxError, parseJson, toPlain } from '../ignition/json-position.js';
import { Day0Error } from '../util/errors.js';

export interface AuthSys {
  env: Record<string, string | undefined>;
  uid: number;
  home: string;
  exists(path: string): boolean;
  read(path: string): string;
}

export function defaultAuthSys(): AuthSys {
  return {
    env: process.env,
    uid: typeof process.getuid === 'function' ? process.getuid() : 0,
    home: homedir(),
    exists: (p) => existsSync(p),
    read: (p) => readFileSync(p, 'utf8'),
  };
}

export type AuthSource = 'flag' | 'env' | 'runtime' | 'config' | 'docker';

export interface AuthFile {
  path: string;
  source: AuthSource;
}

/** The default locations, in lookup order (whether or not they exist). */
export function defaultAuthFiles(sys: AuthSys): AuthFile[] {
  const { env, home, uid } = sys;
  const runtime = env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json')
    : join('/run/containers', String(uid), 'auth.json');
  return [
    { path: runtime, source: 'runtime' },
    { path: join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'), source: 'config' },
    { path: join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'), source: 'docker' },
  ];
}

interface AuthJson {
  auths?: Record<string, { auth?: unknown; identitytoken?: unknown } | undefined>;
}

function readAuthJson(file: AuthFile, sys: AuthSys): AuthJson {
  let text: string;
  try {
    text = sys.read(file.path);
  } catch (err) {
    throw new Day0Error(`cannot read the registry auth file ${file.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      fix: 'check its permissions, or point --authfile / REGISTRY_AUTH_FILE at a readable file',
    });
  }
  return parseAuthJson(file.path, text);
}

const AUTH_FIX = 'rewrite it with `podman login` (or fix its syntax); it must look like {"auths": {"HOST": {"auth": "…"}}}';

/**
 * Parse an auth file as containers/image reads it, naming the first problem with its line and column. The
 * parser's messages never quote the input (it may hold a credential); registry keys are named, values never.
 */
export function parseAuthJson(path: string, text: string): AuthJson {
  if (text.trim() === '') return {}; // containers/image reads an empty file as no credentials
  let v: unknown;
  try {
    v = toPlain(parseJson(text));
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new Day0Error(`the registry auth file ${path} is not valid JSON: ${err.message} at line ${err.pos.line} col ${err.pos.col}`, {
      fix: AUTH_FIX,
    });
  }
  const bad = (why: string): Day0Error => new Day0Error(`the registry auth file ${path} is invalid: ${why}`, { fix: AUTH_FIX });
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('the document is not a JSON object');
  const auths = (v as AuthJson).auths;
  if (auths === undefined || auths === null) return v as AuthJson;
  if (typeof auths !== 'object' || Array.isArray(auths)) throw bad('"auths" is not an object');
  for (const [key, entry] of Object.entries(auths)) {
    const name = JSON.stringify(key);
    if (entry === null) continue;
    if (typeof entry !== 'object' || Array.isArray(entry)) throw bad(`auths.${name} is not an object`);
    const { auth, identitytoken } = entry;
    if (identitytoken !== undefined && typeof identitytoken !== 'string') throw bad(`auths.${name}.identitytoken is not a string`);
    if (auth === undefined || auth === '') continue;
    if (typeof auth !== 'string') throw bad(`auths.${name}.auth is not a string`);
    const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(auth) ? Buffer.from(auth, 'base64').toString('utf8') : '';
    if (!decoded.includes(':')) throw bad(`auths.${name}.auth is not base64 of "user:password"`);
  }
  return v as AuthJson;
}

/** Normalise an auths key as containers/image does: no scheme, no trailing /v1/ or /v2/, no trailing slash. */
export function normalizeAuthKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  k = k.replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') k = 'docker.io';
  return k;
}

/**
 * Does `auth` hold credentials for the image `name` (HOST/REPO)? Keys may name the host or a namespace under it
 * (`quay.io/org`); the most specific wins in containers/image, any match counts here.
 */
export function hasCredentialsFor(auth: AuthJson, name: string): boolean {
  const auths = auth.auths ?? {};
  const scopes: string[] = [];
  const parts = name.split('/');
  for (let i = parts.length; i >= 1; i--) scopes.push(parts.slice(0, i).join('/'));
  for (const [key, entry] of Object.entries(auths)) {
    if (!entry || typeof entry !== 'object') continue;
    const has = (typeof entry.auth === 'string' && entry.auth !== '') || (typeof entry.identitytoken === 'string' && entry.identitytoken !== '');
    if (has && scopes.includes(normalizeAuthKey(key))) return true;
  }
  return false;
}

/**
 * The auth file skopeo should use for the image `name` (HOST/REPO), or undefined for anonymous access.
 * An explicitly named file (flag or REGISTRY_AUTH_FILE) must exist; it is used as it is.
 */
export function resolveAuthFile(name: string | undefined, authfile?: string, sys: AuthSys = defaultAuthSys()): AuthFile | undefined {
  if (authfile) {
    if (!sys.exists(authfile)) {
      throw new Day0Error(`the auth file ${authfile} (from --authfile) does not exist`, {
        fix: 'create it with `podman login --authfile FILE HOST`, or give the path of an existing auth.json / pull secret',
      });
    }
    const file: AuthFile = { path: authfile, source: 'flag' };
    readAuthJson(file, sys); // a broken file is named here, not by skopeo's raw fatal error
    return file;
  }
  const fromEnv = sys.env.REGISTRY_AUTH_FILE;
  if (fromEnv) {
    if (!sys.exists(fromEnv)) {
      throw new Day0Error(`REGISTRY_AUTH_FILE names ${fromEnv}, which does not exist`, {
        fix: 'point REGISTRY_AUTH_FILE at an existing auth.json (or unset it)',
      });
    }
    const file: AuthFile = { path: fromEnv, source: 'env' };
    readAuthJson(file, sys);
    return file;
  }
  if (!name) return undefined;
  for (const f of defaultAuthFiles(sys)) {
    if (!sys.exists(f.path)) continue;
    if (hasCredentialsFor(readAuthJson(f, sys), name)) return f;
  }
  return undefined;
}

/** Human description of where credentials came from (never their content). */
export function describeAuth(a: AuthFile | undefined): string {
  if (!a) return 'anonymous';
  const how = { flag: '--authfile', env: 'REGISTRY_AUTH_FILE', runtime: 'default location', config: 'default location', docker: 'docker config' }[a.source];
  return `${a.path} (${how})`;
}

/**
 * The secrets an auth file carries for `name` — each `auth` value and the password inside it — so that any text
 * day0 shows (a tool's stderr, an error) can be scrubbed of them even if a tool were to echo one.
 */
export function authSecrets(file: AuthFile | undefined, sys: AuthSys = defaultAuthSys()): string[] {
  if (!file) return [];
  let auth: AuthJson;
  try {
    auth = readAuthJson(file, sys);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of Object.values(auth.auths ?? {})) {
    if (!entry || typeof entry !== 'object') continue;
    for (const v of [entry.auth, entry.identitytoken]) {
      if (typeof v !== 'string' || v.length < 4) continue;
      out.push(v);
      const decoded = Buffer.from(v, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0 && decoded.length - colon > 3) out.push(decoded.slice(colon + 1), decoded);
    }
  }
  return out;
}

export function redact(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) t = t.split(s).join('***');
  return t;
}
