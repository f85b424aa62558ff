// The config a boot check hands to the medium: the user's config (read back from the medium, or given), with
// day0's check merged in by Ignition's merge rules. Never logged.
import { mergeConfigs } from '../ignition/merge.js';
import { Day0Error } from '../util/errors.js';
import { markerFragment, type Expectations, type Marker } from './marker.js';

/** Spec used when there is no user config: the oldest that every 3.x Ignition parses. */
export const FALLBACK_SPEC = '3.0.0';

export function configWithCheck(user: Buffer | undefined, m: Marker, e: Expectations, consoleDevice: string): Buffer {
  let base: Record<string, unknown>;
  if (user) {
    try {
      base = JSON.parse(user.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new Day0Error('the Ignition config on the medium is not valid JSON', { fix: 'validate it with `day0 ignition validate`' });
    }
  } else {
    base = { ignition: { version: FALLBACK_SPEC } };
  }
  const merged = mergeConfigs(base, markerFragment(m, e, consoleDevice) as Record<string, unknown>);
  return Buffer.from(JSON.stringify(merged));
}
