// The platforms day0 knows are the files in profiles/: this module lists them (synchronously, once) and maps the
// spellings users and registries use (OCI, Debian, uname, Node) to a profile's arch. It is the one place that
// turns arch names into platforms; everything else asks it or reads a loaded profile.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { Day0Error } from '../util/errors.js';
import { profilesDir } from '../util/paths.js';

export interface PlatformId {
  arch: string;
  aliases: string[];
  oci_arch: string;
  oci_variant?: string;
  deb_arch: string;
  node_arch: string;
}

const cache = new Map<string, PlatformId[]>();

/** Every profile's identity, in file-name order. */
export function platforms(dir = profilesDir()): PlatformId[] {
  const hit = cache.get(dir);
  if (hit) return hit;
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.toml')).sort();
  } catch {
    throw new Day0Error(`no platform profiles found in ${dir}`, { fix: 'run day0 from its checkout or package (profiles/ sits beside bin/), or set DAY0_PROFILES_DIR' });
  }
  const out: PlatformId[] = [];
  for (const f of files) {
    // A platform is named by its file; a broken file is still listed, so that loadProfile reports its error
    // (syntax position, "declares arch X, expected Y") when that arch is asked for.
    const arch = f.slice(0, -'.toml'.length);
    let d: Record<string, unknown> = {};
    try {
      d = TOML.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    } catch {
      /* reported by loadProfile */
    }
    const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
    out.push({
      arch,
      aliases: Array.isArray(d.aliases) ? (d.aliases as unknown[]).filter((a): a is string => typeof a === 'string') : [],
      oci_arch: s('oci_arch') ?? arch,
      ...(s('oci_variant') ? { oci_variant: s('oci_variant')! } : {}),
      deb_arch: s('deb_arch') ?? arch,
      node_arch: s('node_arch') ?? arch,
    });
  }
  cache.set(dir, out);
  return out;
}

/** Names of the platforms that have a profile. */
export function knownArches(dir = profilesDir()): string[] {
  return platforms(dir).map((p) => p.arch);
}

/** A profile's arch for a user-facing spelling (x86_64, amd64, arm64, ppc64el …), or undefined. */
export function findArch(name: string, dir = profilesDir()): string | undefined {
  const p = platforms(dir).find((x) => x.arch === name || x.aliases.includes(name) || x.oci_arch === name || x.deb_arch === name);
  return p?.arch;
}

export function normalizeArch(name: string, dir = profilesDir()): string {
  const a = findArch(name, dir);
  if (!a) {
    throw new Day0Error(`unknown architecture "${name}": there is no platform profile for it`, {
      fix: `use one of: ${knownArches(dir).join(', ')} (platforms are the files in ${dir})`,
    });
  }
  return a;
}

export function platformOf(arch: string, dir = profilesDir()): PlatformId {
  const p = platforms(dir).find((x) => x.arch === normalizeArch(arch, dir));
  return p!;
}

/** day0's arch for an OCI architecture name, when a profile has it. */
export function archForOci(oci: string, dir = profilesDir()): string | undefined {
  return platforms(dir).find((p) => p.oci_arch === oci)?.arch;
}

/** The arch of the machine day0 runs on (from Node's process.arch), when a profile has it. */
export function hostArch(nodeArch: string = process.arch, dir = profilesDir()): string | undefined {
  return platforms(dir).find((p) => p.node_arch === nodeArch)?.arch;
}

/** The default for --arch: the host's platform. */
export function defaultArch(dir = profilesDir()): string {
  const a = hostArch(process.arch, dir);
  if (!a) throw new Day0Error(`this host (${process.arch}) has no platform profile, so --arch has no default`, { fix: `pass --arch (one of: ${knownArches(dir).join(', ')})` });
  return a;
}

/** Expand an --arch value: one arch, a comma-separated list, or "all" (every profile). */
export function parseArchList(v: string, dir = profilesDir()): string[] {
  const names = v === 'all' ? knownArches(dir) : v.split(',').map((s) => s.trim()).filter(Boolean);
  const out = names.map((n) => normalizeArch(n, dir));
  if (out.length === 0) throw new Day0Error('--arch names no platform', { fix: `use one of: ${knownArches(dir).join(', ')}, a comma-separated list, or all` });
  return [...new Set(out)];
}
