import { describe, expect, it } from 'vitest';
import { buildRecord, type BuildOptions } from '../../../src/build/build.js';
import type { Context } from '../../../src/cli/context.js';
import type { BootableImage } from '../../../src/image/types.js';

const ctx = { profile: { arch: 'x86_64' }, exec: { describe: () => 'podman localhost/day0/builder:latest' } } as unknown as Context;
const kernel = { version: '6.1.0-50-amd64', vmlinuz: '/r/vmlinuz', initramfs: '/r/initramfs.img', initramfsSize: 1 };
const img = {
  image: { input: 'localhost:5000/day0/demo-layered:latest', pinned: 'localhost:5000/day0/demo-layered@sha256:ab', digest: 'sha256:ab', labels: { 'containers.bootc': '1' } },
  rootfs: '/r', kernel, kernels: [kernel], osRelease: { ID: 'day0-demo', VERSION_ID: '12', PRETTY_NAME: 'Demo' },
  ignitionVersion: '2.14.0', ignitionMaxSpec: '3.3.0', unpackCached: false,
} as unknown as BootableImage;
const opts = { formats: ['iso'], rootfsFormat: 'squashfs', liveKargAppend: [], liveKargDelete: [], kargAppend: [], rootFs: 'xfs' } as unknown as BuildOptions;

describe('build.json', () => {
  it('records image, kernel, OS, Ignition versions, artifacts, executor and tool versions — never the config', () => {
    const r = buildRecord(ctx, opts, img, 'demo', [{ kind: 'iso', path: 'x86_64/demo-live.x86_64.iso', size: 3, sha256: 'f'.repeat(64) }], '3.3.0', { xorriso: '1.5.4' });
    expect(r).toMatchObject({
      name: 'demo', arch: 'x86_64', formats: ['iso'], executor: 'podman localhost/day0/builder:latest', tools: { xorriso: '1.5.4' },
      image: { digest: 'sha256:ab', kernel: '6.1.0-50-amd64', os: { id: 'day0-demo', version: '12' }, ignition: { version: '2.14.0', maxSpec: '3.3.0' } },
      ignition: { spec: '3.3.0' },
    });
    expect(Object.keys(r.ignition as object)).toEqual(['spec']);
    expect((r.day0 as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
