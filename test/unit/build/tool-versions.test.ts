// build.json records the versions of the tools that made each platform's media: the common image tools plus the
// profile's builder packages, and its foreign-arch packages (e.g. arm64 GRUB modules on the x86_64 builder).
import { describe, expect, it } from 'vitest';
import { TOOL_PACKAGES, toolVersions } from '../../../src/build/build.js';
import type { Context } from '../../../src/cli/context.js';
import type { RunResult, RunSpec } from '../../../src/executor/types.js';
import { EACH_PROFILE } from '../../helpers/profiles.js';

describe.each(EACH_PROFILE)('%s toolVersions', (_arch, p) => {
  it('asks dpkg for the common tools and the profile builder packages, and keeps foreign packages', async () => {
    const calls: RunSpec[] = [];
    const foreign = p.builder.foreign_packages.map((f) => f.split(':')[0]!);
    const ctx = {
      profile: p,
      exec: {
        mode: 'host',
        describe: () => 'fake',
        run: async (spec: RunSpec): Promise<RunResult> => {
          calls.push(spec);
          const pkgs = spec.argv.slice(4);
          const lines = [...pkgs.map((x) => `${x} 1.0-${x.length}`), ...foreign.map((f) => `${f}:arm64 2.06-13`), 'unrelated-package 9'];
          return { exitCode: 0, stdout: `${lines.join('\n')}\n`, stderr: '', killed: false, timedOut: false };
        },
      },
    } as unknown as Context;
    const v = await toolVersions(ctx);
    expect(calls).toHaveLength(1);
    const asked = calls[0]!.argv.slice(4);
    expect(asked).toEqual([...new Set([...TOOL_PACKAGES, ...p.builder.packages])]);
    for (const x of [...TOOL_PACKAGES, ...p.builder.packages]) expect(v[x]).toBe(`1.0-${x.length}`);
    for (const f of foreign) expect(v[`${f}:arm64`]).toBe('2.06-13');
    expect(v['unrelated-package']).toBeUndefined();
  });
});
