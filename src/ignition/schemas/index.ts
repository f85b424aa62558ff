// The config spec versions day0 understands, picked by `ignition.version`.
import type { z } from 'zod';
import { Day0Error } from '../../util/errors.js';
import * as v3_0 from './v3_0.js';
import * as v3_1 from './v3_1.js';
import * as v3_2 from './v3_2.js';
import * as v3_3 from './v3_3.js';
import * as v3_4 from './v3_4.js';
import * as v3_5 from './v3_5.js';
import * as v3_6 from './v3_6.js';
import * as v3_7 from './v3_7_experimental.js';

export const SPEC_SCHEMAS = {
  [v3_0.VERSION]: v3_0.Config,
  [v3_1.VERSION]: v3_1.Config,
  [v3_2.VERSION]: v3_2.Config,
  [v3_3.VERSION]: v3_3.Config,
  [v3_4.VERSION]: v3_4.Config,
  [v3_5.VERSION]: v3_5.Config,
  [v3_6.VERSION]: v3_6.Config,
  [v3_7.VERSION]: v3_7.Config,
} as const satisfies Record<string, z.ZodType>;

export type SpecVersion = keyof typeof SPEC_SCHEMAS;

export const KNOWN_SPEC_VERSIONS = Object.keys(SPEC_SCHEMAS) as SpecVersion[];
export const STABLE_SPEC_VERSIONS = KNOWN_SPEC_VERSIONS.filter((v) => !v.includes('-'));

export function isKnownSpecVersion(v: string): v is SpecVersion {
  return Object.hasOwn(SPEC_SCHEMAS, v);
}

/** The schema of config spec `version`; a Day0Error naming the known versions for any other. */
export function configSchema(version: string): (typeof SPEC_SCHEMAS)[SpecVersion] {
  if (!isKnownSpecVersion(version)) {
    throw new Day0Error(`unsupported Ignition config version "${version}"`, { fix: `use one of: ${KNOWN_SPEC_VERSIONS.join(', ')}` });
  }
  return SPEC_SCHEMAS[version];
}

/** A config of any known spec version, as decoded (newer specs only add fields). */
export type AnyConfig = v3_0.Config | v3_1.Config | v3_2.Config | v3_3.Config | v3_4.Config | v3_5.Config | v3_6.Config | v3_7.Config;

export { v3_0, v3_1, v3_2, v3_3, v3_4, v3_5, v3_6, v3_7 as v3_7_experimental };
