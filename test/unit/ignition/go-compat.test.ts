// The Go behaviours Ignition's verdicts depend on; expected values are Go's (path.Clean, url.Parse, go-semver).
import { describe, expect, it } from 'vitest';
import { dataUrlError } from '../../../src/ignition/data-url.js';
import { cleanPath, joinPath, parseGoQuery, parseGoUrl, parseSemver, pathExt } from '../../../src/ignition/go-compat.js';
import { parseUnitContents } from '../../../src/ignition/systemd-unit.js';

describe('path', () => {
  it.each([
    ['', '.'], ['/', '/'], ['/a/b/', '/a/b'], ['/a//b', '/a/b'], ['/a/./b', '/a/b'], ['/a/../b', '/b'], ['/../a', '/a'],
    ['a/../..', '..'], ['../../x', '../../x'], ['./a', 'a'], ['a/..', '.'], ['/srv/link/../data', '/srv/data'],
  ])('Clean(%j) = %j', (p, want) => expect(cleanPath(p)).toBe(want));
  it('Join and Ext', () => {
    expect(joinPath('/srv/link', '../data')).toBe('/srv/data');
    expect(joinPath('', '')).toBe('');
    expect(pathExt('/a.b/c.service')).toBe('.service');
    expect(pathExt('a.b/c')).toBe('');
  });
});

describe('url.Parse', () => {
  it.each([
    ['https://Example.com/a?b=c#d', 'https'],
    ['HTTP://x', 'http'],
    ['data:,x y', 'data'],
    ['relative/path', ''],
    ['s3://bucket/key?versionId=1', 's3'],
  ])('accepts %j (scheme %j)', (u, scheme) => expect(parseGoUrl(u)?.scheme).toBe(scheme));
  it.each(['http://[::1/x', 'http://h:port/', 'http://h/%zz', ':nothing', 'a:b/c'.replace('a:', '1a:'), 'http://a b/', 'http://h/\x7f', 'http://h/#%g0', 'http://us er@h/'])(
    'rejects %j',
    (u) => expect(parseGoUrl(u)).toBeNull(),
  );
  it('reads query values like url.Values, skipping malformed pairs', () => {
    expect(parseGoQuery('versionId=&a=1&a=2&bad=%zz&x;y=1')).toEqual(new Map([['versionId', ['']], ['a', ['1', '2']]]));
  });
});

describe('go-semver', () => {
  it('parses leniently on numbers and strictly on shape', () => {
    expect(parseSemver('03.3.0')).toMatchObject({ major: 3n, minor: 3n, patch: 0n });
    expect(parseSemver('3.4.0-experimental')).toMatchObject({ preRelease: 'experimental' });
    expect(parseSemver('3.3')).toBeNull();
    expect(parseSemver('v3.3.0')).toBeNull();
    expect(parseSemver('3.3.0.1')).toBeNull();
  });
});

describe('data URLs', () => {
  it.each(['data:,', 'data:,A%20B', 'data:text/plain;charset=utf-8;base64,SGk=', 'data:application/x;q="a\\"b",', 'data:x-y/z,1'])('accepts %j', (u) => expect(dataUrlError(u)).toBeNull());
  it.each([
    ['data:text/plain', 'incomplete media type'],
    ['data:hello', 'missing media type slash'],
    ['data:foo/bar,x', 'invalid media type'],
    ['data:;base64,YWJ', 'invalid base64 data'],
    ['data:,a b', 'invalid data character'],
    ['data:,100%', 'invalid percent-escape in data'],
    ['data:;charset,x', 'expected base64 encoding'],
    ['data:;a="b,', 'unclosed quoted string'],
  ])('rejects %j: %s', (u, reason) => expect(dataUrlError(u)).toBe(reason));
});

describe('systemd unit contents', () => {
  it('finds sections and rejects what go-systemd rejects', () => {
    expect(parseUnitContents('[Unit]\nA=b\n[Install]\nWantedBy=x\n')).toEqual({ ok: true, sections: ['Unit', 'Install'] });
    expect(parseUnitContents('[Unit')).toEqual({ ok: false, reason: 'unable to find end of section' });
    expect(parseUnitContents('[Unit] x')).toEqual({ ok: false, reason: 'found garbage after section name' });
    expect(parseUnitContents('[Unit]\nA\nB=c')).toEqual({ ok: false, reason: 'unexpected newline encountered while parsing option name' });
  });
  it('catches a line of 2048 bytes or more only where go-systemd\'s 4096-byte buffer does', () => {
    expect(parseUnitContents(`[Unit]\nA=${'x'.repeat(2100)}\n`).ok).toBe(false);
    // the long line starts after the first 4096-byte read has been mostly consumed: not caught
    expect(parseUnitContents(`[Service]\n${'Environment=A=1\n'.repeat(140)}ExecStop=/bin/${'y'.repeat(2040)}`).ok).toBe(true);
  });
});
