// Issue 14 item 17: a broken auth file is parsed by day0 first and the JSON error named (never its content).
import { describe, expect, it } from 'vitest';
import { parseAuthJson, resolveAuthFile, type AuthSys } from '../../../src/image/auth.js';
import { Day0Error } from '../../../src/util/errors.js';

function sys(files: Record<string, string>, env: Record<string, string> = {}): AuthSys {
  return { env, uid: 0, home: '/home/u', exists: (p) => p in files, read: (p) => files[p]! };
}

const SECRET = Buffer.from('user:s3cr3t-pass').toString('base64');

describe('issue14 item 17: broken auth files', () => {
  it('item 17: --authfile with broken JSON is refused by day0, naming the JSON error and position, not the content', () => {
    const s = sys({ '/a.json': `{\n  "auths": {\n    "quay.io": {"auth": "${SECRET}"},\n  }\n}\n` });
    let err: unknown;
    try {
      resolveAuthFile('quay.io/a/b', '/a.json', s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Day0Error);
    const msg = `${(err as Day0Error).message} ${(err as Day0Error).fix}`;
    expect(msg).toMatch(/registry auth file \/a\.json is not valid JSON: invalid character looking for beginning of object key string at line 4 col 3/);
    expect(msg).not.toContain(SECRET);
    expect(msg).not.toContain('s3cr3t');
  });

  it('item 17: REGISTRY_AUTH_FILE is checked the same way, and a wrong shape is named by key', () => {
    expect(() => resolveAuthFile('quay.io/a', undefined, sys({ '/e.json': '{"auths": [' }, { REGISTRY_AUTH_FILE: '/e.json' })))
      .toThrow(/\/e\.json is not valid JSON: unexpected end of JSON input/);
    expect(() => parseAuthJson('/x.json', '{"auths": {"quay.io": {"auth": 5}}}')).toThrow(/auths\."quay\.io"\.auth is not a string/);
    expect(() => parseAuthJson('/x.json', '{"auths": {"quay.io": {"auth": "bm9jb2xvbg=="}}}')).toThrow(/not base64 of "user:password"/);
    expect(() => parseAuthJson('/x.json', '[]')).toThrow(/not a JSON object/);
    expect(parseAuthJson('/x.json', '')).toEqual({});
    expect(parseAuthJson('/x.json', `{"auths": {"quay.io": {"auth": "${SECRET}"}}}`).auths?.['quay.io']?.auth).toBe(SECRET);
  });
});
