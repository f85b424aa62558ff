// Our structural verdict (Go's decoding of the config into Ignition's structs) against the official
// JSON Schemas: for every corpus file that is JSON, ajv rejects it exactly when our first failing step
// is "structure" — or the opposite, for the documented cases where Ignition and the schema disagree.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv04Module from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { analyzeIgnition } from '../../../src/ignition/validate.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { loadCorpus } from '../../helpers/ignition-corpus.js';

// The official schemas: $DAY0_REFERENCE_DIR (or its ignition-schemas/ subdir), else ../shared/reference/ignition-schemas.
const SCHEMA_DIR = [
  ...(process.env.DAY0_REFERENCE_DIR ? [join(process.env.DAY0_REFERENCE_DIR, 'ignition-schemas'), process.env.DAY0_REFERENCE_DIR] : []),
  resolve(PACKAGE_ROOT, '..', 'shared', 'reference', 'ignition-schemas'),
].find((d) => existsSync(join(d, 'v3_0.json')));

// ajv-draft-04 is CommonJS: its default export may arrive as the module object.
type Ajv04Class = typeof Ajv04Module.default;
const Ajv = ((Ajv04Module as unknown as { default?: Ajv04Class }).default ?? Ajv04Module) as Ajv04Class;
const SCHEMA_FILE: Record<string, string> = {
  '3.0.0': 'v3_0.json',
  '3.1.0': 'v3_1.json',
  '3.2.0': 'v3_2.json',
  '3.3.0': 'v3_3.json',
  '3.4.0': 'v3_4.json',
  '3.5.0': 'v3_5.json',
  '3.6.0': 'v3_6.json',
  '3.7.0-experimental': 'v3_7_experimental.json',
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();
function schemaFor(spec: string): ValidateFunction {
  let v = validators.get(spec);
  if (v === undefined) {
    const file = SCHEMA_FILE[spec];
    if (file === undefined) throw new Error(`no official schema for spec ${spec}`);
    if (SCHEMA_DIR === undefined) throw new Error('Ignition JSON Schemas not found: set DAY0_REFERENCE_DIR to the reference directory');
    const compiled = ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object);
    validators.set(spec, compiled);
    return compiled;
  }
  return v;
}

const corpus = loadCorpus().filter((c) => c.expect.stage !== 'syntax');

describe('structural verdicts agree with the official JSON Schemas', () => {
  it('has the official schemas (set DAY0_REFERENCE_DIR if they are elsewhere)', () => {
    expect(SCHEMA_DIR).toBeDefined();
  });

  it('covers every spec directory with a schema', () => {
    expect(new Set(corpus.map((c) => c.spec))).toEqual(new Set(Object.keys(SCHEMA_FILE)));
    expect(corpus.filter((c) => c.expect.stage === 'structure').length).toBeGreaterThan(20);
  });

  it.each(corpus.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const structural = analyzeIgnition(c.text).failedStage === 'structure';
    expect(structural).toBe(c.expect.stage === 'structure');
    const validate = schemaFor(c.spec);
    const schemaValid = validate(JSON.parse(c.text));
    const expectedSchemaValid = c.expect.schemaDivergence === undefined ? !structural : structural;
    expect(schemaValid, `${c.expect.schemaDivergence ?? ''} ${JSON.stringify(validate.errors?.slice(0, 2))}`).toBe(expectedSchemaValid);
  });
});
