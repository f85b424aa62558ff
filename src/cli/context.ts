// What every command needs, made on demand: configuration, the executor, the platform profile.
import { loadConfig, type Day0Config } from '../config/config.js';
import { makeExecutor, type Executor } from '../executor/index.js';
import { loadProfile } from '../profiles/load.js';
import { defaultArch } from '../profiles/platforms.js';
import type { Profile } from '../profiles/schema.js';

export interface Context {
  cfg: Day0Config;
  exec: Executor;
  profile: Profile;
}

/** A context for one platform; `arch` defaults to the host's (the one place that default lives). */
export async function makeContext(arch: string = defaultArch()): Promise<Context> {
  const cfg = loadConfig();
  return { cfg, exec: makeExecutor(cfg), profile: await loadProfile(arch) };
}

/** Contexts for several platforms sharing one configuration and executor. */
export async function makeContexts(arches: string[]): Promise<Context[]> {
  const cfg = loadConfig();
  const exec = makeExecutor(cfg);
  return Promise.all(arches.map(async (a) => ({ cfg, exec, profile: await loadProfile(a) })));
}
