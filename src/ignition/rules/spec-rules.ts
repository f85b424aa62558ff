// What changes in Ignition's semantic validation from one spec version to the next. Each version
// starts from the previous one and lists only what it changes.

export interface SpecRules {
  version: string;
  /** Hash functions accepted in `verification.hash`. */
  hashFunctions: readonly string[];
  /** URL schemes accepted for fetched resources. */
  urlSchemes: readonly string[];
  /** Filesystem formats accepted in `storage.filesystems.format`. */
  filesystemFormats: readonly string[];
  /** `ignition.config.merge[]` and `ignition.security.tls.certificateAuthorities[]` need a source (3.1+). */
  requireResourceSources: boolean;
  /** 3.2's Clevis `custom` is a pointer: `"custom": {}` counts as set. */
  clevisCustomIsPointer: boolean;
  /** Links must name a target; a missing RAID level reads "required", not "unrecognized" (3.3+). */
  linkTargetRequired: boolean;
  raidLevelRequired: boolean;
  /** Warn about setuid/setgid/sticky mode bits (honoured from 3.6.0 on). */
  warnSpecialModeBits: boolean;
  /**
   * Checks Ignition 2.15 added together with spec 3.4.0: files/dirs/links that collide with systemd
   * units or drop-ins (error), template units without [Install], owners on hard links, filesystems
   * that overwrite partitioned or wiped disks (warnings).
   */
  ignition215Checks: boolean;
}

const v3_0: SpecRules = {
  version: '3.0.0',
  hashFunctions: ['sha512'],
  urlSchemes: ['http', 'https', 'tftp', 's3', 'data'],
  filesystemFormats: ['ext4', 'btrfs', 'xfs', 'swap', 'vfat'],
  requireResourceSources: false,
  clevisCustomIsPointer: false,
  linkTargetRequired: false,
  raidLevelRequired: false,
  warnSpecialModeBits: true,
  ignition215Checks: false,
};
const v3_1: SpecRules = { ...v3_0, version: '3.1.0', hashFunctions: ['sha512', 'sha256'], requireResourceSources: true };
const v3_2: SpecRules = { ...v3_1, version: '3.2.0', urlSchemes: [...v3_1.urlSchemes, 'gs'], clevisCustomIsPointer: true };
const v3_3: SpecRules = {
  ...v3_2,
  version: '3.3.0',
  filesystemFormats: [...v3_2.filesystemFormats, 'none'],
  clevisCustomIsPointer: false,
  linkTargetRequired: true,
  raidLevelRequired: true,
};
const v3_4: SpecRules = { ...v3_3, version: '3.4.0', urlSchemes: [...v3_3.urlSchemes, 'arn'], ignition215Checks: true };
const v3_5: SpecRules = { ...v3_4, version: '3.5.0' };
const v3_6: SpecRules = { ...v3_5, version: '3.6.0', warnSpecialModeBits: false };
const v3_7: SpecRules = { ...v3_6, version: '3.7.0-experimental' };

export const SPEC_RULES: Readonly<Record<string, SpecRules>> = Object.fromEntries(
  [v3_0, v3_1, v3_2, v3_3, v3_4, v3_5, v3_6, v3_7].map((r) => [r.version, r]),
);
