// Typed questions about a profile's boot modes, so the media, disk plan, QEMU and boot-check code never test an
// arch or a mode by name.
import { Day0Error } from '../util/errors.js';
import { BOOT_MODES, type BootMode, type BootModeName, type Profile } from './schema.js';

export interface NamedBootMode extends BootMode {
  name: BootModeName;
}

/** The profile's boot modes in preference order. */
export function bootModes(p: Profile): NamedBootMode[] {
  return (Object.entries(p.boot) as [BootModeName, BootMode][]).map(([name, m]) => ({ ...m, name }));
}

export function modeNames(p: Profile): BootModeName[] {
  return bootModes(p).map((m) => m.name);
}

export function bootMode(p: Profile, name: string): NamedBootMode {
  const m = bootModes(p).find((x) => x.name === name);
  if (!m) throw new Day0Error(`platform ${p.arch} has no ${name} boot mode`, { fix: `use one of: ${modeNames(p).join(', ')}` });
  return m;
}

/** The preferred mode: boots media that need just one (direct kernel boot, qemu images). */
export function firstMode(p: Profile): NamedBootMode {
  return bootModes(p)[0]!;
}

/** Modes that boot a disk with this sector size. */
export function modesForSector(p: Profile, sectorSize: number): NamedBootMode[] {
  return bootModes(p).filter((m) => (m.sector_sizes as number[]).includes(sectorSize));
}

/** The first mode that can boot from the network, if any. */
export function netbootMode(p: Profile): NamedBootMode | undefined {
  return bootModes(p).find((m) => m.netboot);
}

/**
 * Resolve --firmware: "all" (or "both", its older spelling) = every mode the profile has; otherwise a
 * comma-separated list of mode names, each of which the profile must have.
 */
export function selectModes(p: Profile, v: string | undefined): BootModeName[] {
  if (!v || v === 'all' || v === 'both') return modeNames(p);
  const want = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const w of want) {
    if (!(BOOT_MODES as readonly string[]).includes(w)) throw new Day0Error(`unknown firmware / boot mode "${w}"`, { fix: `use all, or a comma-separated list of: ${BOOT_MODES.join(', ')}` });
  }
  const out = modeNames(p).filter((n) => want.includes(n));
  if (out.length === 0) throw new Day0Error(`platform ${p.arch} has none of the boot modes ${want.join(', ')}`, { fix: `its modes are: ${modeNames(p).join(', ')} (or pass --firmware all)` });
  return out;
}
