// Issue 14 items 5–7 and 9: the manifest as stock osbuild needs it — the registry's TLS setting in the skopeo
// source, a runner on every pipeline, container sources stock osbuild + skopeo resolve (the builder from local
// containers-storage through the skopeo source), and stage options with osbuild's defaults (vmdk compressed).
import { describe, expect, test } from 'vitest';
import { imageRef } from '../../../src/disk/build.js';
import type { BootableImage } from '../../../src/image/types.js';
import { generateDiskManifest, RUNNER, type DiskPlanInput } from '../../../src/manifest/disk.js';
import { assertValidManifest } from '../../../src/manifest/validate.js';
import { bootModes } from '../../../src/profiles/boot.js';
import { qemuImgArgv } from '../../../src/stages/qemu.js';
import { EACH_PROFILE, profile as profileOf } from '../../helpers/profiles.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;
const D = `sha256:${'d'.repeat(64)}`;

function input(over: Partial<DiskPlanInput> = {}): DiskPlanInput {
  const p = over.profile ?? profileOf('x86_64');
  return {
    profile: p,
    name: 'demo',
    formats: ['metal', 'qemu', 'vmware'],
    kernel: { version: '6.1.0', vmlinuz: '/usr/lib/modules/6.1.0/vmlinuz', initramfs: '/usr/lib/modules/6.1.0/initramfs.img' },
    image: { id: A, name: 'localhost:5000/day0/demo-layered', digest: B, tlsVerify: false },
    builder: { id: C, name: 'localhost/day0/builder:1', digest: D, transport: 'containers-storage', storageLocation: '/srv/containers' },
    efiBinaries: Object.fromEntries(bootModes(p).filter((m) => m.disk === 'grub2-efi').map((m) => [m.efi_boot_file!, Buffer.from('MZ')])),
    seed: 's',
    ...over,
  };
}

const bootable = (pinned: string, input: string): BootableImage => ({ image: { pinned, input, digest: B } } as unknown as BootableImage);

describe('item 5: --tls-verify=false reaches the skopeo source', () => {
  test('a plain-HTTP registry image carries "tls-verify": false; a TLS one carries nothing (the default)', () => {
    const ref = imageRef(bootable(`localhost:5000/day0/demo-layered@${B}`, 'localhost:5000/day0/demo-layered:latest'), A, false);
    expect(ref).toEqual({ id: A, name: 'localhost:5000/day0/demo-layered', digest: B, tlsVerify: false });
    const m = generateDiskManifest(input({ image: ref })).manifest;
    const items = m.sources!['org.osbuild.skopeo']!.items as Record<string, { image: Record<string, unknown> }>;
    expect(items[A]!.image).toEqual({ name: 'localhost:5000/day0/demo-layered', digest: B, 'tls-verify': false });
    expect(imageRef(bootable(`quay.io/x/os@${B}`, 'quay.io/x/os:1'), A, true)).toEqual({ id: A, name: 'quay.io/x/os', digest: B });
  });

  test('containers-storage: images are skopeo items with that transport; oci-archive ones have no source osbuild can fetch', () => {
    expect(imageRef(bootable(`containers-storage:@${'e'.repeat(64)}`, 'containers-storage:localhost/my-os:1'), A)).toEqual({ id: A, name: 'localhost/my-os:1', digest: B, transport: 'containers-storage' });
    expect(imageRef(bootable(`oci-archive:/tmp/os.tar@${B}`, 'oci-archive:/tmp/os.tar'), A)).toEqual({ id: A, name: `oci-archive:/tmp/os.tar` });
  });
});

describe.each(EACH_PROFILE)('%s', (arch) => {
  const { manifest } = generateDiskManifest(input({ profile: profileOf(arch) }));

  test('item 6: every pipeline names the minimal runner, which needs nothing of the Debian buildroot', () => {
    expect(RUNNER).toBe('org.osbuild.linux');
    expect(manifest.pipelines.map((p) => p.runner)).toEqual(manifest.pipelines.map(() => RUNNER));
    assertValidManifest(manifest);
  });

  test('item 7: the builder buildroot comes from local containers-storage through the skopeo source (no org.osbuild.containers-storage)', () => {
    expect(manifest.sources!['org.osbuild.containers-storage']).toBeUndefined();
    const items = manifest.sources!['org.osbuild.skopeo']!.items as Record<string, { image: Record<string, unknown> }>;
    expect(items[C]!.image).toEqual({ name: 'localhost/day0/builder:1', digest: D, 'containers-transport': 'containers-storage', 'storage-location': '/srv/containers' });
    const build = manifest.pipelines.find((p) => p.name === 'build')!;
    expect(build.build).toBeUndefined();
    expect(build.stages[0]!.inputs!.images).toEqual({ type: 'org.osbuild.containers', origin: 'org.osbuild.source', references: { [C]: { name: 'localhost/day0/builder:1' } } });
  });
});

describe('item 9: stage options mean what they mean in osbuild', () => {
  test('vmdk is compressed unless compression is false (osbuild\'s default is true)', () => {
    expect(qemuImgArgv('a', 'b', { type: 'vmdk', subformat: 'streamOptimized' })).toContain('-c');
    expect(qemuImgArgv('a', 'b', { type: 'vmdk', subformat: 'streamOptimized', compression: false })).not.toContain('-c');
    expect(qemuImgArgv('a', 'b', { type: 'vpc', subformat: 'fixed' })).not.toContain('-c');
  });
});
