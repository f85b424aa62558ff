// A BootableImage made from the demo layered image by `podman export` (for disk-image tests and the benchmark,
// independent of image intake). The export is cached per image ID under $DAY0_TEST_CACHE or /var/tmp.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BootableImage } from '../../src/image/types.js';

export const DEMO_LAYERED = process.env.DAY0_TEST_IMAGE ?? 'localhost:5000/day0/demo-layered:latest';

export async function demoBootable(ref = DEMO_LAYERED): Promise<BootableImage> {
  const inspect = await execa('podman', ['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', ref], { reject: false });
  if (inspect.exitCode !== 0) {
    throw new Error(`demo image ${ref} is not in local storage: run \`bash hack/registry.sh\` and \`bash hack/demo-images.sh\` first`);
  }
  const [id, digest] = String(inspect.stdout).trim().split(' ') as [string, string];
  const base = join(process.env.DAY0_TEST_CACHE ?? '/var/tmp/day0-test', `rootfs-${id.slice(0, 16)}`);
  const rootfs = join(base, 'rootfs');
  if (!existsSync(join(base, '.complete'))) {
    await rm(base, { recursive: true, force: true });
    await mkdir(base, { recursive: true });
    const tmp = join(base, 'rootfs.tmp');
    await mkdir(tmp);
    const c = await execa('podman', ['create', ref, '/bin/true']);
    const cid = String(c.stdout).trim();
    try {
      await execa('sh', ['-c', 'podman export "$1" | tar -C "$2" --numeric-owner --xattrs --xattrs-include="*" -xpf -', 'sh', cid, tmp]);
    } finally {
      await execa('podman', ['rm', '-f', cid], { reject: false });
    }
    await rename(tmp, rootfs);
    await execa('touch', [join(base, '.complete')]);
  }
  const modules = join(rootfs, 'usr/lib/modules');
  const kvers = (await readdir(modules)).filter((k) => existsSync(join(modules, k, 'vmlinuz')));
  const version = kvers.sort().at(-1);
  if (!version) throw new Error(`no kernel under ${modules}`);
  const initramfs = join(modules, version, 'initramfs.img');
  const osRelease: Record<string, string> = {};
  for (const line of (await readFile(join(rootfs, 'usr/lib/os-release'), 'utf8')).split('\n')) {
    const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line);
    if (m) osRelease[m[1]!] = m[3]!;
  }
  const kernel = { version, vmlinuz: join(modules, version, 'vmlinuz'), initramfs, initramfsSize: (await stat(initramfs)).size };
  const name = ref.replace(/:[^:/]+$/, '');
  return {
    image: {
      input: ref,
      pinned: `${name}@${digest}`,
      digest,
      arch: 'x86_64',
      layoutDir: '',
      layoutTag: '',
      labels: {},
      layers: [],
      bytesPulled: 0,
    },
    rootfs,
    kernel,
    kernels: [kernel],
    osRelease,
    unpackCached: true,
  };
}
