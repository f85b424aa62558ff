// What a rule sees: the decoded value of one Go type, where it is, and the spec's rule set.
import type { z } from 'zod';
import type { Path } from '../schema-walk.js';
import type * as v3_0 from '../schemas/v3_0.js';
import type * as v3_2 from '../schemas/v3_2.js';
import type * as latest from '../schemas/v3_7_experimental.js';
import type { SpecRules } from './spec-rules.js';

export interface RuleContext {
  spec: SpecRules;
  error(path: Path, message: string): void;
  warn(path: Path, message: string): void;
}

type T<S extends z.ZodType> = z.infer<S>;

/** Value types by Go type name. Newer specs only add optional fields, so the newest types fit all. */
export interface RuleTypes {
  Config: T<typeof latest.Config>;
  Ignition: T<typeof latest.Ignition>;
  IgnitionConfig: T<typeof latest.IgnitionConfig>;
  TLS: T<typeof latest.TLS>;
  Proxy: T<typeof latest.Proxy>;
  Resource: T<typeof latest.Resource>;
  HTTPHeader: T<typeof latest.HTTPHeader>;
  Verification: T<typeof latest.Verification>;
  ConfigReference: T<typeof v3_0.ConfigReference>;
  CaReference: T<typeof v3_0.CaReference>;
  FileContents: T<typeof v3_0.FileContents>;
  Storage: T<typeof latest.Storage>;
  File: T<typeof latest.File>;
  Directory: T<typeof latest.Directory>;
  Link: T<typeof latest.Link>;
  NodeUser: T<typeof latest.NodeUser>;
  NodeGroup: T<typeof latest.NodeGroup>;
  Disk: T<typeof latest.Disk>;
  Partition: T<typeof latest.Partition>;
  Filesystem: T<typeof latest.Filesystem>;
  Raid: T<typeof latest.Raid>;
  Device: string;
  Luks: T<typeof latest.Luks>;
  Custom: T<typeof v3_2.Custom>;
  ClevisCustom: T<typeof latest.ClevisCustom>;
  Tang: T<typeof latest.Tang>;
  Systemd: T<typeof latest.Systemd>;
  Unit: T<typeof latest.Unit>;
  Dropin: T<typeof latest.Dropin>;
}

export type Rules = { [K in keyof RuleTypes]?: (value: RuleTypes[K], path: Path, ctx: RuleContext) => void };

// Ignition's util helpers
export const nilOrEmpty = (s: string | null | undefined): boolean => s === undefined || s === null || s === '';
export const notEmpty = (s: string | null | undefined): s is string => !nilOrEmpty(s);
export const isTrue = (b: boolean | null | undefined): boolean => b === true;
export const isFalse = (b: boolean | null | undefined): boolean => b === false;
/** Go's len() of a string: UTF-8 bytes. */
export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');
