// day0's own settings: where tools run and how podman is called. Sources, later wins:
// built-in defaults < /etc/day0/config.toml < ~/.config/day0/config.toml < $DAY0_CONFIG < environment variables.
// Host quirks (e.g. Debian 12 needing runc + cgroupfs) belong in containers.conf (hack/podman-setup.sh writes it)
// or in [podman] here — never hard-coded.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { z } from 'zod';
import { Day0Error } from '../util/errors.js';

export const ConfigSchema = z
  .object({
    executor: z
      .object({
        /** podman: tools run in the privileged builder container. host: day0 already runs where the tools are. */
        mode: z.enum(['podman', 'host']).default('podman'),
        builder_image: z.string().default('localhost/day0/builder:latest'),
      })
      .strict()
      .default({ mode: 'podman', builder_image: 'localhost/day0/builder:latest' }),
    podman: z
      .object({
        binary: z.string().default('podman'),
        /** before the subcommand, e.g. ["--runtime", "runc", "--cgroup-manager", "cgroupfs"] */
        global_args: z.array(z.string()).default([]),
        /** added to every `podman run`, e.g. ["--ulimit", "nofile=20000:20000"] */
        run_args: z.array(z.string()).default([]),
      })
      .strict()
      .default({ binary: 'podman', global_args: [], run_args: [] }),
  })
  .strict();

export type Day0Config = z.infer<typeof ConfigSchema>;

function readToml(file: string): Record<string, unknown> {
  try {
    return TOML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Day0Error(`config file ${file} is not valid TOML: ${(err as Error).message}`, {
      fix: `correct or remove ${file}`,
    });
  }
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? mergeDeep(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function configFiles(env = process.env): string[] {
  const files = ['/etc/day0/config.toml', join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'day0', 'config.toml')];
  if (env.DAY0_CONFIG) files.push(env.DAY0_CONFIG);
  return files;
}

export function loadConfig(env = process.env): Day0Config {
  let raw: Record<string, unknown> = {};
  for (const f of configFiles(env)) {
    if (existsSync(f)) raw = mergeDeep(raw, readToml(f));
    else if (f === env.DAY0_CONFIG) throw new Day0Error(`DAY0_CONFIG names ${f}, which does not exist`, { fix: 'point DAY0_CONFIG at a config.toml or unset it' });
  }
  const fromEnv: Record<string, unknown> = {};
  const ex: Record<string, unknown> = {};
  if (env.DAY0_EXECUTOR) ex.mode = env.DAY0_EXECUTOR;
  if (env.DAY0_BUILDER_IMAGE) ex.builder_image = env.DAY0_BUILDER_IMAGE;
  if (Object.keys(ex).length) fromEnv.executor = ex;
  raw = mergeDeep(raw, fromEnv);
  const res = ConfigSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Day0Error(`day0 configuration is invalid:\n${lines}`, {
      fix: `correct it in one of: ${configFiles(env).join(', ')} or the DAY0_* environment variables`,
    });
  }
  return res.data;
}
