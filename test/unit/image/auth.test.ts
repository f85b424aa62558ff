import { describe, expect, it } from 'vitest';
import { authSecrets, defaultAuthFiles, hasCredentialsFor, normalizeAuthKey, redact, resolveAuthFile, type AuthSys } from '../../../src/image/auth.js';
import { Day0Error } from '../../../src/util/errors.js';

const cred = (user: string, pass: string) => ({ auth: Buffer.from(`${user}:${pass}`).toString('base64') });

function sys(files: Record<string, unknown>, env: Record<string, string> = {}): AuthSys {
  return {
    env,
    uid: 0,
    home: '/home/u',
    exists: (p) => p in files,
    read: (p) => {
      const v = files[p];
      if (v === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return typeof v === 'string' ? v : JSON.stringify(v);
    },
  };
}

const RUNTIME = '/run/user/1000/containers/auth.json';
const CONFIG = '/home/u/.config/containers/auth.json';
const DOCKER = '/home/u/.docker/config.json';

describe('authfile resolution (podman order)', () => {
  it('lists the default locations in podman order', () => {
    expect(defaultAuthFiles(sys({}, { XDG_RUNTIME_DIR: '/run/user/1000' })).map((f) => f.path)).toEqual([RUNTIME, CONFIG, DOCKER]);
    expect(defaultAuthFiles(sys({})).map((f) => f.path)[0]).toBe('/run/containers/0/auth.json');
    expect(defaultAuthFiles(sys({}, { XDG_CONFIG_HOME: '/x', DOCKER_CONFIG: '/d' })).map((f) => f.path).slice(1)).toEqual([
      '/x/containers/auth.json',
      '/d/config.json',
    ]);
  });

  it('--authfile wins over everything, and must exist', () => {
    const s = sys({ '/f.json': {}, [RUNTIME]: { auths: { 'quay.io': cred('a', 'b') } } }, { REGISTRY_AUTH_FILE: '/env.json', XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(resolveAuthFile('quay.io/a/b', '/f.json', s)).toEqual({ path: '/f.json', source: 'flag' });
    expect(() => resolveAuthFile('quay.io/a/b', '/missing.json', s)).toThrow(Day0Error);
  });

  it('REGISTRY_AUTH_FILE comes next, and must exist', () => {
    const s = sys({ '/env.json': {}, [RUNTIME]: { auths: { 'quay.io': cred('a', 'b') } } }, { REGISTRY_AUTH_FILE: '/env.json', XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(resolveAuthFile('quay.io/a/b', undefined, s)).toEqual({ path: '/env.json', source: 'env' });
    expect(() => resolveAuthFile('quay.io/a/b', undefined, sys({}, { REGISTRY_AUTH_FILE: '/nope' }))).toThrow(/REGISTRY_AUTH_FILE names \/nope/);
  });

  it('then the first default location with credentials for the registry', () => {
    const files = {
      [RUNTIME]: { auths: { 'other.io': cred('a', 'b') } },
      [CONFIG]: { auths: { 'quay.io': cred('a', 'b') } },
      [DOCKER]: { auths: { 'https://quay.io/v1/': cred('c', 'd') } },
    };
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    expect(resolveAuthFile('quay.io/a/b', undefined, sys(files, env))?.path).toBe(CONFIG);
    expect(resolveAuthFile('other.io/a', undefined, sys(files, env))?.path).toBe(RUNTIME);
    expect(resolveAuthFile('nobody.io/a', undefined, sys(files, env))).toBeUndefined();
    const { [CONFIG]: _drop, ...noConfig } = files;
    expect(resolveAuthFile('quay.io/a/b', undefined, sys(noConfig, env))?.path).toBe(DOCKER);
  });

  it('matches namespace-scoped keys and normalises URLs', () => {
    const a = { auths: { 'quay.io/org': cred('u', 'p'), 'https://index.docker.io/v1/': cred('u', 'p') } };
    expect(hasCredentialsFor(a, 'quay.io/org/img')).toBe(true);
    expect(hasCredentialsFor(a, 'quay.io/other/img')).toBe(false);
    expect(hasCredentialsFor(a, 'docker.io/library/x')).toBe(true);
    expect(hasCredentialsFor({ auths: { 'quay.io': {} } }, 'quay.io/a')).toBe(false);
    expect(normalizeAuthKey('http://localhost:5000/v2/')).toBe('localhost:5000');
  });

  it('never quotes an auth file in an error', () => {
    const secret = 'hunter2-very-secret';
    const s = sys({ [CONFIG]: `{"auths": {"quay.io": {"auth": "${secret}"` }, {});
    try {
      resolveAuthFile('quay.io/a', undefined, s);
      throw new Error('accepted');
    } catch (e) {
      expect((e as Error).message).toMatch(/not valid JSON/);
      expect(`${(e as Error).message} ${(e as Day0Error).fix}`).not.toContain(secret);
    }
  });

  it('knows the secrets of a file, to scrub them from any text', () => {
    const s = sys({ '/f': { auths: { 'h:1': cred('user', 's3cret-pass') } } });
    const secrets = authSecrets({ path: '/f', source: 'flag' }, s);
    expect(secrets).toContain('s3cret-pass');
    expect(redact('error: user:s3cret-pass rejected', secrets)).toBe('error: *** rejected');
  });
});
