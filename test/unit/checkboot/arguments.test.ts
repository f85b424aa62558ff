// check-boot refuses what it cannot boot before any KVM probe or QEMU start; a boot stopped by Ctrl-C is recorded
// as interrupted, not as a QEMU failure.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkArtifacts, checkBoot } from '../../../src/checkboot/run.js';
import type { Executor, RunSpec } from '../../../src/executor/types.js';
import { loadProfile } from '../../../src/profiles/load.js';
import { hostArch } from '../../../src/profiles/platforms.js';
import { bootAndWatch } from '../../../src/qemu/runner.js';
import { Day0Error } from '../../../src/util/errors.js';

const work = mkdtempSync(join(tmpdir(), 'day0-cb-args-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An executor that records what it was asked to run (nothing may run for bad arguments). */
function recorder(): Executor & { specs: RunSpec[] } {
  const specs: RunSpec[] = [];
  return { mode: 'host', describe: () => 'recorder', specs, run: async (s) => { specs.push(s); return { exitCode: 0, stdout: '', stderr: '', killed: false, timedOut: false }; } };
}

describe('check-boot arguments', () => {
  it('a missing file is refused first, naming it, with nothing run (no KVM probe)', async () => {
    const ex = recorder();
    const missing = join(work, 'nope-live.x86_64.iso');
    await expect(checkBoot(ex, { artifacts: [missing], timeoutS: 10, expect: { files: [], units: [] }, logDir: join(work, 'logs') }))
      .rejects.toThrow(new Day0Error(`${missing} does not exist`, { fix: '' }).message);
    expect(ex.specs).toEqual([]);
  });

  it('a directory is refused; an empty list is refused; a regular file passes', () => {
    const dir = join(work, 'd-metal.x86_64.raw');
    mkdirSync(dir);
    expect(() => checkArtifacts([dir])).toThrow(/is not a regular file/);
    expect(() => checkArtifacts([])).toThrow(/no medium to boot-check/);
    const f = join(work, 'ok-live.x86_64.iso');
    writeFileSync(f, 'x');
    expect(() => checkArtifacts([f])).not.toThrow();
  });
});

describe('a boot stopped by the user', () => {
  it('is recorded as kind "interrupted", not as a QEMU exit', async () => {
    const profile = await loadProfile(hostArch() ?? 'x86_64');
    const ac = new AbortController();
    const ex: Executor = {
      mode: 'host',
      describe: () => 'fake',
      run: async (s) => {
        s.onStdout?.('SeaBIOS (version fake)\n');
        ac.abort();
        return { exitCode: 130, stdout: '', stderr: 'qemu-system: terminating on signal 2', killed: true, timedOut: false };
      },
    };
    const r = await bootAndWatch(ex, { profile, medium: { kind: 'iso', path: join(work, 'x.iso') }, firmware: Object.keys(profile.boot)[0] as 'bios', accel: 'tcg' },
      { marker: 'NEVER', timeoutMs: 60_000, workDir: work, binds: [], signal: ac.signal });
    expect(r.verdict).toBe('fail');
    expect(r.kind).toBe('interrupted');
    expect(r.reason).toMatch(/^interrupted/);
  });
});
