// Load and validate profiles/<arch>.toml.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { Day0Error } from '../util/errors.js';
import { profilesDir } from '../util/paths.js';
import { ARCHES, ProfileSchema, type Arch, type Profile } from './schema.js';

/** Map user-facing spellings (OCI, Debian, uname) to day0's arch names. */
const ALIASES: Record<string, Arch> = {
  x86_64: 'x86_64', amd64: 'x86_64',
  aarch64: 'aarch64', arm64: 'aarch64',
  ppc64le: 'ppc64le', ppc64el: 'ppc64le',
  s390x: 's390x',
};

export function normalizeArch(name: string): Arch {
  const a = ALIASES[name];
  if (!a) {
    throw new Day0Error(`unknown architecture "${name}"`, { fix: `use one of: ${ARCHES.join(', ')}` });
  }
  return a;
}

/** Parse profile text; `source` names the file in error messages. */
export function parseProfile(text: string, source: string): Profile {
  let data: unknown;
  try {
    data = TOML.parse(text);
  } catch (err) {
    throw new Day0Error(`profile ${source} is not valid TOML: ${(err as Error).message}`, {
      fix: 'correct the TOML syntax at the position given',
    });
  }
  const res = ProfileSchema.safeParse(data);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new Day0Error(`profile ${source} is invalid:\n${lines.join('\n')}`, {
      fix: 'correct the fields named above (see profiles/x86_64.toml for a complete example)',
    });
  }
  return res.data;
}

export async function loadProfile(arch: string, dir = profilesDir()): Promise<Profile> {
  const a = normalizeArch(arch);
  const file = join(dir, `${a}.toml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Day0Error(`no platform profile for ${a} (looked for ${file})`, {
      fix: `add profiles/${a}.toml (same shape as profiles/x86_64.toml)`,
    });
  }
  const p = parseProfile(text, file);
  if (p.arch !== a) throw new Day0Error(`profile ${file} declares arch "${p.arch}", expected "${a}"`, { fix: `set arch = "${a}"` });
  return p;
}
