// Which Ignition config spec versions an image's Ignition can parse.
//
// Facts (coreos/ignition docs/specs.md, docs/release-notes.md, PR #2202): the first Ignition release
// that accepts each stable spec is 3.0.0 → 2.0.0, 3.1.0 → 2.3.0, 3.2.0 → 2.7.0, 3.3.0 → 2.11.0,
// 3.4.0 → 2.15.0, 3.5.0 → 2.20.0, 3.6.0 → 2.26.0 (stabilized in February 2026, after 2.25.1). Each
// release accepts every older stable spec, plus the one experimental spec it ships (stabilizing
// X.Y.0 drops X.Y.0-experimental and adds X.(Y+1).0-experimental). Ignition before 2.0.0 (0.x) only
// reads spec 1 and 2.x configs.
import { Day0Error } from '../util/errors.js';

interface Release {
  major: number;
  minor: number;
  patch: number;
}

const STABLE: readonly (readonly [spec: string, firstIgnition: string])[] = [
  ['3.0.0', '2.0.0'],
  ['3.1.0', '2.3.0'],
  ['3.2.0', '2.7.0'],
  ['3.3.0', '2.11.0'],
  ['3.4.0', '2.15.0'],
  ['3.5.0', '2.20.0'],
  ['3.6.0', '2.26.0'],
];

/** Experimental spec X.Y.0-experimental: from the release that stabilized the previous spec, until X.Y.0's. */
function experimentalWindow(spec: string): { from: string; until?: string } | undefined {
  const i = STABLE.findIndex(([s]) => `${s}-experimental` === spec);
  if (i > 0) return { from: STABLE[i - 1]![1], until: STABLE[i]![1] };
  const last = STABLE[STABLE.length - 1]!;
  const next = parseRelease(last[0])!;
  if (spec === `${next.major}.${next.minor + 1}.0-experimental`) return { from: last[1] };
  return undefined;
}

/** "2.14.0", "v2.14.0", "2.14.0+ds1-1+b6", "2.19.0-1.fc40", "2.14" → 2.14.0. */
function parseRelease(v: string): Release | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : undefined;
}

function compare(a: Release, b: Release): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function release(v: string): Release {
  const r = parseRelease(v);
  if (r === undefined) {
    throw new Day0Error(`cannot read the Ignition version "${v}"`, { fix: 'an Ignition version looks like 2.14.0' });
  }
  return r;
}

/** The highest stable config spec the given Ignition release parses. */
export function maxSpecForIgnition(ignitionVersion: string): string {
  const r = release(ignitionVersion);
  const supported = STABLE.filter(([, first]) => compare(release(first), r) <= 0);
  const max = supported[supported.length - 1];
  if (max === undefined) {
    throw new Day0Error(`Ignition ${ignitionVersion} only parses spec 1 and 2.x configs, not spec 3`, {
      fix: 'use an OS image with Ignition 2.0.0 or later',
    });
  }
  return max[0];
}

/** Whether Ignition `ignitionVersion` parses config spec `spec`. */
export function ignitionParsesSpec(spec: string, ignitionVersion: string): boolean {
  const r = release(ignitionVersion);
  const window = experimentalWindow(spec);
  if (window !== undefined) {
    return compare(release(window.from), r) <= 0 && (window.until === undefined || compare(r, release(window.until)) < 0);
  }
  const stable = STABLE.find(([s]) => s === spec);
  return stable !== undefined && compare(release(stable[1]), r) <= 0;
}

export interface SpecCheckOptions {
  /** "on": a config the image cannot parse is an error; "off": only a warning. */
  mode: 'on' | 'off';
}

/**
 * Check that the image's Ignition can parse a config of spec `configVersion`. Returns a warning (or
 * nothing); throws a Day0Error when it cannot and `mode` is "on".
 */
export function checkSpecAgainstImage(configVersion: string, ignitionVersion: string | undefined, opts: SpecCheckOptions): string | undefined {
  if (ignitionVersion === undefined) {
    return `the image's Ignition version is unknown, so day0 cannot check that it parses config spec ${configVersion}`;
  }
  if (ignitionParsesSpec(configVersion, ignitionVersion)) return undefined;

  let highest: string | undefined;
  try {
    highest = maxSpecForIgnition(ignitionVersion);
  } catch (err) {
    if (!(err instanceof Day0Error)) throw err;
  }
  const window = experimentalWindow(configVersion);
  let problem: string;
  if (highest === undefined) {
    problem = `Ignition config spec ${configVersion} cannot be parsed by the image's Ignition ${ignitionVersion}, which only reads spec 1 and 2.x configs`;
  } else if (window !== undefined) {
    const releases = window.until ? `${window.from} up to (not including) ${window.until}` : `${window.from} and later releases until it is stabilized`;
    problem = `Ignition config spec ${configVersion} is experimental and only parsed by Ignition ${releases}; the image has Ignition ${ignitionVersion} (highest: ${highest})`;
  } else {
    problem = `Ignition config spec ${configVersion} is newer than the image's Ignition ${ignitionVersion} can parse (highest: ${highest})`;
  }
  if (opts.mode === 'off') return `${problem}; continuing because --ignition-spec-check=off`;
  throw new Day0Error(problem, {
    fix:
      highest === undefined
        ? 'use an OS image with Ignition 2.0.0 or later, or pass --ignition-spec-check=off'
        : `write the config as spec ${highest} or lower, or pass --ignition-spec-check=off`,
  });
}
