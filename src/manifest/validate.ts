// Validate any osbuild version-2 manifest against osbuild's own schemas (the reference copy in
// ../shared/reference/osbuild, or $DAY0_REFERENCE_DIR): the manifest schema, then every stage against its module's
// schema, and every device, mount, input and source against theirs — assembled exactly as osbuild's meta.py
// assembles them (schema_2 describes the whole stage; a v1 `schema` describes only its options), draft-04.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv04Module from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv-draft-04';
import { Day0Error } from '../util/errors.js';
import { PACKAGE_ROOT } from '../util/paths.js';

export type ModuleClass = 'Stage' | 'Device' | 'Mount' | 'Input' | 'Source';
const MODULE_DIRS: Record<ModuleClass, string> = { Stage: 'stages', Device: 'devices', Mount: 'mounts', Input: 'inputs', Source: 'sources' };

export interface ValidationIssue {
  /** Path from the manifest root, e.g. ["pipelines", 3, "stages", 1, "options", "size"]. */
  path: (string | number)[];
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  issues: ValidationIssue[];
}

/** Where osbuild's schemas are: $DAY0_REFERENCE_DIR (the reference dir or its osbuild/ subdir), else ../shared/reference/osbuild. */
export function osbuildReferenceDir(env = process.env): string {
  const candidates: string[] = [];
  if (env.DAY0_REFERENCE_DIR) candidates.push(join(env.DAY0_REFERENCE_DIR, 'osbuild'), env.DAY0_REFERENCE_DIR);
  else candidates.push(resolve(PACKAGE_ROOT, '..', 'shared', 'reference', 'osbuild'));
  for (const c of candidates) if (existsSync(join(c, 'schemas', 'osbuild2.json'))) return c;
  throw new Day0Error(`osbuild schemas not found (looked for schemas/osbuild2.json in ${candidates.join(' and ')})`, {
    fix: 'set DAY0_REFERENCE_DIR to the directory holding osbuild/schemas/osbuild2.json and osbuild/stages/*.meta.json',
  });
}

/** "$.pipelines[3].stages[1].options" */
export function formatPath(path: (string | number)[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('')}`;
}

// ajv-draft-04 is CommonJS: under NodeNext its default export arrives as the module object.
type Ajv04Class = typeof Ajv04Module.default;
type Ajv04 = InstanceType<Ajv04Class>;
const Ajv04 = ((Ajv04Module as unknown as { default?: Ajv04Class }).default ?? Ajv04Module) as Ajv04Class;

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class OsbuildSchemas {
  private readonly ajv: Ajv04;
  private readonly cache = new Map<string, ValidateFunction | null>();

  constructor(readonly dir: string = osbuildReferenceDir()) {
    // osbuild validates with Python's Draft4Validator: unknown keywords are ignored, regexes are not unicode-mode.
    this.ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false, validateSchema: false, addUsedSchema: false });
  }

  private meta(klass: ModuleClass, name: string): Json | undefined {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) return undefined;
    const file = join(this.dir, MODULE_DIRS[klass], `${name}.meta.json`);
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  }

  /** The JSON schema osbuild uses for a module (meta.py ModuleInfo.get_schema, version "2"). */
  moduleSchema(klass: ModuleClass, name: string): Json | undefined {
    const meta = this.meta(klass, name);
    if (!meta) return undefined;
    const v1 = (meta.schema as Json | undefined) ?? {};
    const v2 = (meta.schema_2 as Json | undefined) ?? {};
    const has = (o: Json) => Object.keys(o).length > 0;
    const schema: Json = { title: `Pipeline ${klass}`, type: 'object', additionalProperties: false };
    if (klass === 'Stage') {
      const opts = has(v2) ? clone(v2) : { options: clone(v1) };
      const props: Json = { type: { enum: [name] }, ...opts };
      if (!('mounts' in props)) props.mounts = { type: 'array' };
      schema.properties = props;
      schema.required = ['type'];
    } else if (klass === 'Device') {
      schema.additionalProperties = true;
      schema.properties = { type: { enum: [name] }, options: clone(has(v2) ? v2 : v1) };
    } else if (klass === 'Mount') {
      Object.assign(schema, clone(v2));
      schema.properties = { ...((schema.properties as Json | undefined) ?? {}), type: { enum: [name] } };
    } else {
      Object.assign(schema, clone(has(v2) ? v2 : v1));
    }
    const props = (schema.properties as Json | undefined) ?? {};
    if ('definitions' in props) {
      schema.definitions = props.definitions;
      delete props.definitions;
    }
    const options = props.options as Json | undefined;
    if (options && typeof options === 'object' && 'definitions' in options) {
      schema.definitions = options.definitions;
      delete options.definitions;
    }
    return schema;
  }

  private compiled(key: string, make: () => Json | undefined): ValidateFunction | null {
    if (!this.cache.has(key)) {
      const s = make();
      this.cache.set(key, s ? this.ajv.compile(s) : null);
    }
    return this.cache.get(key) ?? null;
  }

  manifestValidator(): ValidateFunction {
    const v = this.compiled('Manifest', () => {
      const s = JSON.parse(readFileSync(join(this.dir, 'schemas', 'osbuild2.json'), 'utf8')) as Json;
      delete s.$id;
      delete s.$schema;
      return s;
    });
    if (!v) throw new Error('osbuild2.json did not load');
    return v;
  }

  moduleValidator(klass: ModuleClass, name: string): ValidateFunction | null {
    return this.compiled(`${klass}:${name}`, () => this.moduleSchema(klass, name));
  }
}

let shared: OsbuildSchemas | undefined;

function issuesOf(errors: ErrorObject[] | null | undefined, base: (string | number)[]): ValidationIssue[] {
  return (errors ?? [])
    // oneOf/anyOf summaries add nothing to the branch errors below them, except when alone.
    .filter((e, _i, all) => !(e.keyword === 'oneOf' || e.keyword === 'anyOf') || all.length === 1)
    .map((e) => {
      const rel = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      let message = e.message ?? e.keyword;
      if (e.keyword === 'additionalProperties') message = `additional property "${String((e.params as { additionalProperty?: string }).additionalProperty)}" is not allowed`;
      if (e.keyword === 'enum') message = `must be one of ${JSON.stringify((e.params as { allowedValues?: unknown[] }).allowedValues)}`;
      return { path: [...base, ...rel], message };
    });
}

/** Validate a manifest the way `osbuild --inspect` does; collects every problem rather than stopping at the first. */
export function validateManifest(manifest: unknown, schemas?: OsbuildSchemas): ValidationResult {
  const s = schemas ?? (shared ??= new OsbuildSchemas());
  const issues: ValidationIssue[] = [];
  const top = s.manifestValidator();
  if (!top(manifest)) issues.push(...issuesOf(top.errors, []));
  const m = (manifest ?? {}) as Json;

  const check = (klass: ModuleClass, obj: unknown, path: (string | number)[], name: unknown) => {
    if (typeof name !== 'string' || !name) return;
    const v = s.moduleValidator(klass, name);
    if (!v) {
      issues.push({ path, message: `unknown ${klass.toLowerCase()} "${name}": no ${MODULE_DIRS[klass]}/${name}.meta.json in the osbuild reference` });
      return;
    }
    if (!v(obj)) issues.push(...issuesOf(v.errors, path));
  };

  const pipelines = Array.isArray(m.pipelines) ? (m.pipelines as Json[]) : [];
  pipelines.forEach((p, pi) => {
    const stages = Array.isArray(p?.stages) ? (p.stages as Json[]) : [];
    stages.forEach((st, si) => {
      const path = ['pipelines', pi, 'stages', si];
      if (!st || typeof st !== 'object') return;
      check('Stage', st, path, st.type);
      const devices = st.devices && typeof st.devices === 'object' ? (st.devices as Record<string, Json>) : {};
      for (const [n, d] of Object.entries(devices)) check('Device', d, [...path, 'devices', n], d?.type);
      const inputs = st.inputs && typeof st.inputs === 'object' ? (st.inputs as Record<string, Json>) : {};
      for (const [n, d] of Object.entries(inputs)) check('Input', d, [...path, 'inputs', n], d?.type);
      const mounts = Array.isArray(st.mounts) ? (st.mounts as Json[]) : [];
      mounts.forEach((mt, mi) => check('Mount', mt, [...path, 'mounts', mi], mt?.type));
    });
  });
  const sources = m.sources && typeof m.sources === 'object' ? (m.sources as Record<string, unknown>) : {};
  for (const [name, src] of Object.entries(sources)) check('Source', src, ['sources', name], name === 'org.osbuild.files' ? 'org.osbuild.curl' : name);

  // Dedupe (allErrors can report one problem through several schema branches).
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const k = `${formatPath(i.path)} ${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { valid: unique.length === 0, issues: unique };
}

/** Throw a Day0Error listing each problem with its path. */
export function assertValidManifest(manifest: unknown, what = 'manifest', schemas?: OsbuildSchemas): void {
  const r = validateManifest(manifest, schemas);
  if (r.valid) return;
  const lines = r.issues.slice(0, 20).map((i) => `  ${formatPath(i.path)}: ${i.message}`);
  if (r.issues.length > 20) lines.push(`  … and ${r.issues.length - 20} more`);
  throw new Day0Error(`${what} does not validate against the osbuild schemas:\n${lines.join('\n')}`, {
    fix: 'this is a day0 bug when day0 generated the manifest; for a hand-edited manifest, correct the fields named above',
  });
}
