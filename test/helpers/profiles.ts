// Every platform profile in profiles/, loaded once: unit tests that need a profile run over all of them
// (issue 10: "every unit test that loads a profile runs over every profiles/*.toml").
import { join } from 'node:path';
import { loadProfile } from '../../src/profiles/load.js';
import { knownArches } from '../../src/profiles/platforms.js';
import type { Profile } from '../../src/profiles/schema.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

export const PROFILES_DIR = join(PACKAGE_ROOT, 'profiles');

/** The arch of every profiles/*.toml, in file-name order. */
export const ARCHES: string[] = knownArches(PROFILES_DIR);

/** arch → loaded profile, for every profile. */
export const PROFILES: Map<string, Profile> = new Map(
  await Promise.all(ARCHES.map(async (a) => [a, await loadProfile(a, PROFILES_DIR)] as const)),
);

export function profile(arch: string): Profile {
  const p = PROFILES.get(arch);
  if (!p) throw new Error(`no profile ${arch} in ${PROFILES_DIR}`);
  return p;
}

/** [arch, profile] rows for describe.each / it.each. */
export const EACH_PROFILE: [string, Profile][] = ARCHES.map((a) => [a, profile(a)]);
