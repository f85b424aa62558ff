import { describe, expect, it } from 'vitest';
import { Day0Error } from '../../../src/util/errors.js';
import { ACCEPTED_FORMS, displayRef, parseImageRef, registryHost, skopeoRef } from '../../../src/image/ref.js';

const D = `sha256:${'a'.repeat(64)}`;

function err(input: string): Day0Error {
  try {
    parseImageRef(input, '/work');
  } catch (e) {
    expect(e).toBeInstanceOf(Day0Error);
    return e as Day0Error;
  }
  throw new Error(`${input} was accepted`);
}

describe('parseImageRef', () => {
  it('docker:// and bare names, with tag, digest or neither (→ latest)', () => {
    expect(parseImageRef('docker://quay.io/fedora/fedora-coreos:stable')).toEqual({ transport: 'docker', name: 'quay.io/fedora/fedora-coreos', tag: 'stable' });
    expect(parseImageRef('localhost:5000/day0/demo-base:latest')).toEqual({ transport: 'docker', name: 'localhost:5000/day0/demo-base', tag: 'latest' });
    expect(parseImageRef(`quay.io/org/img@${D}`)).toEqual({ transport: 'docker', name: 'quay.io/org/img', digest: D });
    expect(parseImageRef(`quay.io/org/img:v1@${D}`)).toEqual({ transport: 'docker', name: 'quay.io/org/img', tag: 'v1', digest: D });
    expect(parseImageRef('registry.example.com/os')).toEqual({ transport: 'docker', name: 'registry.example.com/os', tag: 'latest' });
    expect(parseImageRef('localhost/day0/builder:latest').transport).toBe('docker');
    expect(parseImageRef('127.0.0.1:5001/a/b:c')).toEqual({ transport: 'docker', name: '127.0.0.1:5001/a/b', tag: 'c' });
    expect(parseImageRef('[::1]:5000/a:b')).toEqual({ transport: 'docker', name: '[::1]:5000/a', tag: 'b' });
  });

  it('oci-archive: and oci: with optional tag; relative paths made absolute', () => {
    expect(parseImageRef('oci-archive:/tmp/x.tar')).toEqual({ transport: 'oci-archive', path: '/tmp/x.tar' });
    expect(parseImageRef('oci-archive:/tmp/x.tar:day0/demo-layered:latest')).toEqual({ transport: 'oci-archive', path: '/tmp/x.tar', tag: 'day0/demo-layered:latest' });
    expect(parseImageRef('oci:layout:v1', '/work')).toEqual({ transport: 'oci', path: '/work/layout', tag: 'v1' });
    expect(parseImageRef('oci:/l')).toEqual({ transport: 'oci', path: '/l' });
  });

  it('containers-storage:', () => {
    expect(parseImageRef('containers-storage:localhost/day0/x:1')).toEqual({ transport: 'containers-storage', ref: 'localhost/day0/x:1' });
  });

  it('refuses short names, naming the fix', () => {
    const e = err('fedora:latest');
    expect(e.message).toMatch(/registry host is missing/);
    expect(e.fix).toMatch(/quay\.io\/fedora:latest/);
    expect(err('library/fedora').message).toMatch(/registry host is missing/);
  });

  it('refuses other transports and malformed references, listing the accepted forms', () => {
    for (const bad of ['docker-daemon:foo:latest', 'dir:/tmp/x', 'https://quay.io/a/b', 'docker-archive:/x.tar']) {
      const e = err(bad);
      expect(e.message).toMatch(/not supported/);
      for (const f of ACCEPTED_FORMS) expect(e.fix).toContain(f);
    }
    expect(err('quay.io/Org/Img:x').message).toMatch(/not a valid HOST\/REPO/);
    expect(err('quay.io/org/img@sha256:1234').message).toMatch(/not a sha256 digest/);
    expect(err('quay.io/org/img:bad tag').message).toMatch(/white space/);
    expect(err('quay.io/org/img:-x').message).toMatch(/not a valid tag/);
    expect(err('oci-archive:').message).toMatch(/needs a path/);
    expect(err('containers-storage:').message).toMatch(/needs an image/);
    expect(err('').message).toMatch(/empty/);
  });

  it('round-trips to skopeo syntax', () => {
    expect(skopeoRef(parseImageRef('localhost:5000/a/b'))).toBe('docker://localhost:5000/a/b:latest');
    expect(skopeoRef(parseImageRef(`quay.io/a/b:t@${D}`))).toBe(`docker://quay.io/a/b@${D}`);
    expect(skopeoRef(parseImageRef('oci:/x:t'))).toBe('oci:/x:t');
    expect(displayRef(parseImageRef('quay.io/a/b:t'))).toBe('quay.io/a/b:t');
    expect(registryHost(parseImageRef('quay.io:443/a/b:t'))).toBe('quay.io:443');
    expect(registryHost(parseImageRef('oci:/x'))).toBeUndefined();
  });
});
