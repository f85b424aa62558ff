// Validate an Ignition config the way Ignition does: JSON syntax, the config version, Go's decoding
// into the spec's structs (wrong types are errors, unknown keys warnings), then Ignition's semantic
// rules. Reports carry ignition-validate's path and line/col convention, and never config values.
import { z } from 'zod';
import { Day0Error } from '../util/errors.js';
import { decodeConfig } from './decode.js';
import { parseSemver, sameSemver } from './go-compat.js';
import { findDuplicateKeys, JsonSyntaxError, parseJson, type JsonNode, type Position } from './json-position.js';
import { checkConfig, SPEC_RULES } from './rules/index.js';
import { formatPath, type Path } from './schema-walk.js';
import { KNOWN_SPEC_VERSIONS, SPEC_SCHEMAS, type AnyConfig, type SpecVersion } from './schemas/index.js';

export interface Report {
  /** Where, as `$.storage.files.0.path`; "" when the problem has no place in the config (bad JSON). */
  path: string;
  line: number;
  col: number;
  message: string;
}

export interface ValidationResult {
  version?: string;
  errors: Report[];
  warnings: Report[];
}

/** The first step that failed: bad JSON, no usable version, wrong types, or Ignition's rules. */
export type FailedStage = 'syntax' | 'version' | 'structure' | 'semantic';

export interface IgnitionAnalysis {
  result: ValidationResult;
  failedStage?: FailedStage;
  /** The decoded config, when the version is known and the types are right. */
  config?: AnyConfig;
  spec?: SpecVersion;
}

const VersionStub = z.object({ ignition: z.object({ version: z.string().optional() }).optional() });

/**
 * Position of the deepest node of `path` present in the JSON, in ignition-validate's convention:
 * its reader starts objects and arrays just after the opening bracket, so those are reported one
 * column to the right of the bracket; strings, numbers, booleans and null at their first character.
 */
export function locate(root: JsonNode, path: Path): Position {
  let node = root;
  for (const seg of path) {
    let next: JsonNode | undefined;
    if (node.kind === 'object' && typeof seg === 'string') next = node.members.findLast((m) => m.key === seg)?.value;
    else if (node.kind === 'array' && typeof seg === 'number') next = node.items[seg];
    if (next === undefined) break;
    node = next;
  }
  return node.kind === 'object' || node.kind === 'array' ? { ...node.pos, col: node.pos.col + 1 } : node.pos;
}

const at = (path: Path, pos: Position, message: string): Report => ({ path: formatPath(path), line: pos.line, col: pos.col, message });

function versionProblem(version: string): { message: string; spec?: SpecVersion } {
  const known = KNOWN_SPEC_VERSIONS.join(', ');
  if (version === '') return { message: `config version missing: set ignition.version (known: ${known})` };
  const parsed = parseSemver(version);
  if (parsed === null) return { message: `invalid config version (couldn't parse); use one of: ${known}` };
  const spec = KNOWN_SPEC_VERSIONS.find((v) => sameSemver(parseSemver(v)!, parsed));
  if (spec !== undefined) return { message: '', spec };
  if (parsed.major < 3n) return { message: `unsupported config version: spec 1 and 2.x configs are not supported (translate the config to spec 3.x; known: ${known})` };
  return { message: `unsupported config version (known: ${known})` };
}

export function analyzeIgnition(text: string): IgnitionAnalysis {
  const fail = (stage: FailedStage, errors: Report[], warnings: Report[] = [], version?: string): IgnitionAnalysis => ({
    result: { ...(version === undefined ? {} : { version }), errors, warnings },
    failedStage: stage,
  });
  if (text.length === 0) return fail('syntax', [{ path: '', line: 1, col: 1, message: 'not a config (empty)' }]);

  let root: JsonNode;
  try {
    root = parseJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return fail('syntax', [{ path: '', line: err.pos.line, col: err.pos.col, message: `invalid JSON: ${err.message}` }]);
  }

  const stub = decodeConfig(root, VersionStub);
  if (stub.errors.length > 0) return fail('structure', stub.errors.map((e) => at(e.path, e.pos, e.message)));
  const written = (stub.value as z.infer<typeof VersionStub>).ignition?.version ?? '';
  const { message, spec } = versionProblem(written);
  const version = spec ?? (written === '' ? undefined : written);
  if (spec === undefined) return fail('version', [at(['ignition', 'version'], locate(root, ['ignition', 'version']), message)], [], version);

  const schema = SPEC_SCHEMAS[spec];
  const decoded = decodeConfig(root, schema);
  const duplicateKeys = findDuplicateKeys(root).map((d) =>
    at([...d.path, d.key], d.pos, `duplicate key "${d.key}": Ignition uses the last one (objects are merged)`),
  );
  const unusedKeys = decoded.warnings.map((w) => at(w.path, w.pos, w.message));
  if (decoded.errors.length > 0) {
    return fail('structure', decoded.errors.map((e) => at(e.path, e.pos, e.message)), [...unusedKeys, ...duplicateKeys], spec);
  }

  const findings = checkConfig(decoded.value, schema, SPEC_RULES[spec]!);
  const place = (path: Path, message: string): Report => at(path, locate(root, path), message);
  const errors = findings.filter((f) => f.kind === 'error').map((f) => place(f.path, f.message));
  const warnings = [...findings.filter((f) => f.kind === 'warning').map((f) => place(f.path, f.message)), ...unusedKeys, ...duplicateKeys];
  return {
    result: { version: spec, errors, warnings },
    ...(errors.length > 0 ? { failedStage: 'semantic' as const } : {}),
    config: decoded.value as AnyConfig,
    spec,
  };
}

/** Validate Ignition config text. Valid when `errors` is empty; warnings never make it invalid. */
export function validateIgnition(text: string): ValidationResult {
  return analyzeIgnition(text).result;
}

/** `error at $.storage.files.0.path, line 1 col 61: path not absolute`, as ignition-validate prints. */
export function formatReport(r: Report, kind: 'error' | 'warning' = 'error'): string {
  const where = r.path === '' ? `line ${r.line} col ${r.col}` : `${r.path}, line ${r.line} col ${r.col}`;
  return `${kind} at ${where}: ${r.message}`;
}

/** Every report of a result, errors first. */
export function formatResult(result: ValidationResult): string[] {
  return [...result.errors.map((r) => formatReport(r, 'error')), ...result.warnings.map((r) => formatReport(r, 'warning'))];
}

/** Parse a config that must be valid; otherwise a Day0Error listing what to fix. `source` names it. */
export function parseIgnitionConfig(text: string, source = 'the Ignition config'): { config: AnyConfig; version: SpecVersion; warnings: Report[] } {
  const a = analyzeIgnition(text);
  if (a.result.errors.length > 0 || a.config === undefined || a.spec === undefined) {
    const lines = a.result.errors.map((r) => `  ${formatReport(r)}`);
    throw new Day0Error(`${source} is not a valid Ignition config:\n${lines.join('\n')}`, {
      fix: 'correct the config at the positions given (check it with `day0 ignition validate FILE`)',
    });
  }
  return { config: a.config, version: a.spec, warnings: a.result.warnings };
}
