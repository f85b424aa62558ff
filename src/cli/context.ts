// What every command needs, made on demand: configuration, the executor, the platform profile.
import { loadConfig, type Day0Config } from '../config/config.js';
import { makeExecutor, type Executor } from '../executor/index.js';
import { loadProfile } from '../profiles/load.js';
import type { Profile } from '../profiles/schema.js';

export interface Context {
  cfg: Day0Config;
  exec: Executor;
  profile: Profile;
}

export async function makeContext(arch = 'x86_64'): Promise<Context> {
  const cfg = loadConfig();
  return { cfg, exec: makeExecutor(cfg), profile: await loadProfile(arch) };
}
