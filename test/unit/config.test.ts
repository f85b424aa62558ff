// day0's own configuration (defaults < config files < $DAY0_CONFIG < DAY0_* variables) and the podman command line
// the executor builds from it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, configFiles, loadConfig, type Day0Config } from '../../src/config/config.js';
import { makeExecutor } from '../../src/executor/index.js';
import { HostExecutor } from '../../src/executor/host.js';
import { OWNER_WATCH, PodmanExecutor } from '../../src/executor/podman.js';
import { Day0Error } from '../../src/util/errors.js';

const ETC_CONFIG = '/etc/day0/config.toml';
let work: string;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'day0-config-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh XDG_CONFIG_HOME; with `toml`, it holds day0/config.toml. */
async function xdgHome(toml?: string): Promise<string> {
  const dir = join(work, `xdg-${n++}`);
  await mkdir(join(dir, 'day0'), { recursive: true });
  if (toml !== undefined) await writeFile(join(dir, 'day0', 'config.toml'), toml);
  return dir;
}

async function file(name: string, text: string): Promise<string> {
  const p = join(work, `${n++}-${name}`);
  await writeFile(p, text);
  return p;
}

function rejects(fn: () => unknown): Day0Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Day0Error);
    return err as Day0Error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it.skipIf(existsSync(ETC_CONFIG))('defaults when no file and no variable is set', async () => {
    const cfg = loadConfig({ XDG_CONFIG_HOME: await xdgHome() });
    expect(cfg).toEqual({
      executor: { mode: 'podman', builder_image: 'localhost/day0/builder:latest' },
      podman: { binary: 'podman', global_args: [], run_args: [] },
    });
  });

  it('lists the config files in precedence order', () => {
    expect(configFiles({ XDG_CONFIG_HOME: '/x' })).toEqual([ETC_CONFIG, '/x/day0/config.toml']);
    expect(configFiles({ XDG_CONFIG_HOME: '/x', DAY0_CONFIG: '/y/c.toml' })).toEqual([ETC_CONFIG, '/x/day0/config.toml', '/y/c.toml']);
    expect(configFiles({ HOME: '/nowhere' })[1]).toMatch(/\/\.config\/day0\/config\.toml$/);
  });

  it('reads the user config file, merging with defaults', async () => {
    const xdg = await xdgHome('[podman]\nglobal_args = ["--runtime", "runc"]\n');
    const cfg = loadConfig({ XDG_CONFIG_HOME: xdg });
    expect(cfg.podman.global_args).toEqual(['--runtime', 'runc']);
    expect(cfg.podman.binary).toBe('podman');
    expect(cfg.podman.run_args).toEqual([]);
    expect(cfg.executor.mode).toBe('podman');
  });

  it('file < $DAY0_CONFIG < DAY0_* variables, merged key by key', async () => {
    const xdg = await xdgHome(
      [
        '[executor]',
        'mode = "host"',
        'builder_image = "localhost/from-xdg:1"',
        '[podman]',
        'binary = "/usr/bin/podman"',
        'run_args = ["--ulimit", "nofile=20000:20000"]',
        '',
      ].join('\n'),
    );
    const override = await file('override.toml', '[executor]\nbuilder_image = "localhost/from-day0-config:2"\n[podman]\nglobal_args = ["--cgroup-manager", "cgroupfs"]\n');

    let cfg = loadConfig({ XDG_CONFIG_HOME: xdg });
    expect(cfg.executor).toEqual({ mode: 'host', builder_image: 'localhost/from-xdg:1' });

    cfg = loadConfig({ XDG_CONFIG_HOME: xdg, DAY0_CONFIG: override });
    expect(cfg.executor).toEqual({ mode: 'host', builder_image: 'localhost/from-day0-config:2' });
    // keys the override does not set survive from the user file
    expect(cfg.podman).toEqual({ binary: '/usr/bin/podman', global_args: ['--cgroup-manager', 'cgroupfs'], run_args: ['--ulimit', 'nofile=20000:20000'] });

    cfg = loadConfig({ XDG_CONFIG_HOME: xdg, DAY0_CONFIG: override, DAY0_EXECUTOR: 'podman' });
    expect(cfg.executor).toEqual({ mode: 'podman', builder_image: 'localhost/from-day0-config:2' });

    cfg = loadConfig({ XDG_CONFIG_HOME: xdg, DAY0_CONFIG: override, DAY0_BUILDER_IMAGE: 'localhost/from-env:3' });
    expect(cfg.executor).toEqual({ mode: 'host', builder_image: 'localhost/from-env:3' });

    cfg = loadConfig({ XDG_CONFIG_HOME: xdg, DAY0_EXECUTOR: 'podman', DAY0_BUILDER_IMAGE: 'localhost/from-env:3' });
    expect(cfg.executor).toEqual({ mode: 'podman', builder_image: 'localhost/from-env:3' });
  });

  it('variables alone override the defaults', async () => {
    const cfg = loadConfig({ XDG_CONFIG_HOME: await xdgHome(), DAY0_EXECUTOR: 'host' });
    expect(cfg.executor.mode).toBe('host');
    expect(makeExecutor(cfg)).toBeInstanceOf(HostExecutor);
    expect(makeExecutor(loadConfig({ XDG_CONFIG_HOME: await xdgHome() }))).toBeInstanceOf(PodmanExecutor);
  });

  it('an invalid value in a file names the field', async () => {
    const xdg = await xdgHome('[executor]\nmode = "docker"\n');
    const e = rejects(() => loadConfig({ XDG_CONFIG_HOME: xdg }));
    expect(e.message).toContain('executor.mode');
    expect(e.fix).toContain(join(xdg, 'day0', 'config.toml'));
  });

  it('a wrongly typed value names the field', async () => {
    const cfgFile = await file('bad-type.toml', '[podman]\nglobal_args = "--runtime runc"\n');
    const home = await xdgHome();
    const e = rejects(() => loadConfig({ XDG_CONFIG_HOME: home, DAY0_CONFIG: cfgFile }));
    expect(e.message).toContain('podman.global_args');
    expect(e.fix).toContain(cfgFile);
  });

  it('an unknown key is rejected and named', async () => {
    const xdg = await xdgHome('[podman]\nbinray = "podman"\n');
    const e = rejects(() => loadConfig({ XDG_CONFIG_HOME: xdg }));
    expect(e.message).toContain('podman');
    expect(e.message).toContain('binray');
  });

  it('an invalid DAY0_EXECUTOR names the field', async () => {
    const home = await xdgHome();
    const e = rejects(() => loadConfig({ XDG_CONFIG_HOME: home, DAY0_EXECUTOR: 'docker' }));
    expect(e.message).toContain('executor.mode');
    expect(e.fix).toContain('DAY0_');
  });

  it('a TOML syntax error names the file', async () => {
    const bad = await file('syntax.toml', '[executor\nmode = "host"\n');
    const home = await xdgHome();
    const e = rejects(() => loadConfig({ XDG_CONFIG_HOME: home, DAY0_CONFIG: bad }));
    expect(e.message).toContain(bad);
    expect(e.message).toContain('not valid TOML');
  });

  it('DAY0_CONFIG naming a missing file is an error (a missing user file is not)', async () => {
    const missing = join(work, 'does-not-exist.toml');
    const home = await xdgHome();
    const e = rejects(() => loadConfig({ XDG_CONFIG_HOME: home, DAY0_CONFIG: missing }));
    expect(e.message).toContain(missing);
    expect(e.fix).toContain('DAY0_CONFIG');
    expect(() => loadConfig({ XDG_CONFIG_HOME: join(work, 'no-such-xdg') })).not.toThrow();
  });
});

describe('PodmanExecutor.podmanArgv', () => {
  const cfg: Day0Config = ConfigSchema.parse({
    executor: { mode: 'podman', builder_image: 'localhost/day0/builder:test' },
    podman: {
      binary: '/usr/bin/podman',
      global_args: ['--runtime', 'runc', '--cgroup-manager=cgroupfs'],
      run_args: ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024'],
    },
  });
  const exec = new PodmanExecutor(cfg);
  const SECRET = 's3cr3t-value-that-must-not-leak';
  const argv = exec.podmanArgv(
    {
      argv: ['mksquashfs', '/work/in', '/work/out/root.squashfs'],
      binds: [{ path: '/work/in', readonly: true }, { path: '/work/out' }, { path: '/work/in' }],
      env: { DAY0_SECRET: SECRET, OTHER: 'also-secret=1' },
      input: 'stdin data',
    },
    'day0-test-name',
  );

  it('starts with the binary and the global args, before `run`', () => {
    const run = argv.indexOf('run');
    expect(argv[0]).toBe('/usr/bin/podman');
    expect(argv.slice(1, run)).toEqual(['--runtime', 'runc', '--cgroup-manager=cgroupfs']);
    expect(run).toBe(4);
  });

  it('runs privileged, removed on exit, named, never pulling, without network by default', () => {
    expect(argv).toEqual(expect.arrayContaining(['--rm', '--privileged', '--pull=never', '--network=none']));
    expect(argv[argv.indexOf('--name') + 1]).toBe('day0-test-name');
    expect(argv).toContain('-i'); // stdin input is passed through
    expect(argv[argv.indexOf('--label') + 1]).toBe(`io.day0.pid=${process.pid}`); // owner, for reclaim and tests
  });

  it('passes env as `-e KEY` and never the value', () => {
    const es = argv.flatMap((a, i) => (a === '-e' ? [argv[i + 1]] : []));
    expect(es.sort()).toEqual(['DAY0_SECRET', 'OTHER']);
    for (const a of argv) {
      expect(a).not.toContain(SECRET);
      expect(a).not.toContain('also-secret');
    }
    expect(argv.join(' ')).not.toMatch(/DAY0_SECRET=/);
  });

  it('mounts each bind once, at the same path, ro when asked', () => {
    const vs = argv.flatMap((a, i) => (a === '-v' ? [argv[i + 1]] : []));
    expect(vs).toContain('/work/in:/work/in:ro');
    expect(vs).toContain('/work/out:/work/out');
    expect(vs.filter((v) => v?.startsWith('/work/in:'))).toHaveLength(1);
    expect(vs).toContain('/dev:/dev');
  });

  it('puts run_args after `run` and before the image; the command follows the image unchanged', () => {
    const run = argv.indexOf('run');
    const img = argv.indexOf('localhost/day0/builder:test');
    expect(img).toBeGreaterThan(run);
    expect(argv.slice(img - 4, img)).toEqual(['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024']);
    expect(argv.slice(img + 1)).toEqual(['mksquashfs', '/work/in', '/work/out/root.squashfs']);
    // no podman option after the image
    expect(argv.slice(img + 1).some((a) => a.startsWith('-'))).toBe(false);
  });

  it('without input: the command runs under the owner watch (stdin = day0\'s pipe); network host when asked', () => {
    const a = exec.podmanArgv({ argv: ['true', 'x y'], network: 'host' }, 'day0-x');
    expect(a).toContain('-i');
    expect(a).toContain('--network=host');
    expect(a).not.toContain('-e');
    const img = a.indexOf('localhost/day0/builder:test');
    expect(a.slice(img + 1)).toEqual(['sh', '-c', OWNER_WATCH, 'day0-watch', 'true', 'x y']);
  });

  it('the owner watch runs the command with its args and exit status, and stops it when its stdin ends', () => {
    const run = (args: string[], input: string | undefined) => spawnSync('sh', ['-c', OWNER_WATCH, 'day0-watch', ...args], { input, encoding: 'utf8', timeout: 20_000 });
    // stdin held open (a long input that never ends is not possible here: an open pipe is simulated by `sleep`)
    const held = spawnSync('sh', ['-c', `sleep 3 | sh -c '${OWNER_WATCH.replace(/'/g, "'\\''")}' day0-watch sh -c 'echo "$1"; exit 7' _ 'a b'`], { encoding: 'utf8', timeout: 20_000 });
    expect(held.stdout).toBe('a b\n');
    expect(held.status).toBe(7);
    // stdin at end of file at once: a long command is stopped within the grace time, not run to its end
    const t0 = Date.now();
    const r = run(['sleep', '30'], '');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.status).not.toBe(0);
  });

  it('describe() names the builder image', () => {
    expect(exec.describe()).toContain('localhost/day0/builder:test');
    expect(exec.mode).toBe('podman');
  });
});
