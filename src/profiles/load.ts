// Load and validate profiles/<arch>.toml.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { Day0Error } from '../util/errors.js';
import { profilesDir } from '../util/paths.js';
import { parseConsole } from './console.js';
import { normalizeArch } from './platforms.js';
import { ProfileSchema, type Profile } from './schema.js';

export { normalizeArch };

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
  const issues = res.success ? [] : res.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
  if (res.success) {
    res.data.console.devices.forEach((d, i) => {
      try {
        parseConsole(d);
      } catch (err) {
        issues.push(`  console.devices.${i}: ${(err as Error).message}`);
      }
    });
  }
  if (!res.success || issues.length) {
    throw new Day0Error(`profile ${source} is invalid:\n${issues.join('\n')}`, {
      fix: 'correct the fields named above (see profiles/x86_64.toml for a complete example)',
    });
  }
  return res.data;
}

export async function loadProfile(arch: string, dir = profilesDir()): Promise<Profile> {
  const a = normalizeArch(arch, dir);
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
