import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no root and no tools beyond Node (formats, schemas, planning);
// `integration` drives real podman, skopeo, the local registry and QEMU (run hack/setup.sh first).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 20 * 60_000,
          hookTimeout: 30 * 60_000,
          // QEMU boots are the slow part and each file already boots several media at once (one QEMU per core):
          // files run one after another so boots never starve each other into timeouts.
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
