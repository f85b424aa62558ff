// Decode a parsed JSON tree into a config value the way Ignition's Go code does (encoding/json into
// the generated structs), reporting wrong types and unknown keys with their positions.
//
// Go's decoder semantics that change verdicts, reproduced here:
// - object keys match struct fields case-insensitively ("Storage" fills `storage`);
// - a repeated key is decoded again into the same field: objects merge, arrays are redecoded element
//   by element, scalars are replaced;
// - `null` resets pointers and slices and leaves everything else as it was; a null list element is
//   the element type's zero value;
// - integers must be written as integers ("1.0" and "1e2" are type errors) and fit in 64 bits.
// Unknown keys are warnings, as in Ignition, which also warns about case-insensitive matches.
import type { z } from 'zod';
import type { JsonNode, Position } from './json-position.js';
import { describe, type Path, type SchemaNode } from './schema-walk.js';

export interface DecodeIssue {
  path: Path;
  pos: Position;
  message: string;
}

export interface DecodeResult {
  value: unknown;
  errors: DecodeIssue[];
  warnings: DecodeIssue[];
}

type Obj = Record<string, unknown>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const ARTICLE: Record<JsonNode['kind'], string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};
const WANT: Record<SchemaNode['kind'], string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'an integer',
  boolean: 'a boolean',
};

/** Go's case folding for field names (simple folding, including the Kelvin sign and long s). */
function fold(s: string): string {
  return s.toLowerCase().replace(/\u017f/g, 's');
}

function setOwn(o: Obj, key: string, value: unknown): void {
  if (value === undefined) delete o[key];
  else Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export function decodeConfig(root: JsonNode, schema: z.ZodType): DecodeResult {
  const errors: DecodeIssue[] = [];
  const warnings: DecodeIssue[] = [];

  const zero = (schema: z.ZodType): unknown => {
    const d = describe(schema);
    if (d.kind === 'object') return d.pointer ? undefined : {};
    if (d.kind === 'string') return d.pointer ? undefined : '';
    if (d.kind === 'number') return d.pointer ? undefined : 0;
    if (d.kind === 'boolean') return d.pointer ? undefined : false;
    return undefined;
  };

  const decode = (existing: unknown, node: JsonNode, schema: z.ZodType, path: Path): unknown => {
    const d = describe(schema);
    if (node.kind === 'null') return d.kind === 'array' || ('pointer' in d && d.pointer) ? undefined : existing;
    const wrongType = (): unknown => {
      errors.push({ path, pos: node.pos, message: `wrong type: expected ${WANT[d.kind]}, found ${ARTICLE[node.kind]}` });
      return existing;
    };
    switch (d.kind) {
      case 'object': {
        if (node.kind !== 'object') return wrongType();
        const out: Obj = existing !== null && typeof existing === 'object' ? { ...(existing as Obj) } : {};
        const fields = Object.keys(d.shape);
        const unusedKeys = new Map<string, Position>();
        for (const m of node.members) {
          const exact = Object.hasOwn(d.shape, m.key) ? m.key : undefined;
          const name = exact ?? fields.find((f) => fold(f) === fold(m.key));
          if (exact === undefined) unusedKeys.set(m.key, m.keyPos);
          if (name === undefined) continue;
          setOwn(out, name, decode(out[name], m.value, d.shape[name]!, [...path, name]));
        }
        for (const [key, pos] of unusedKeys) {
          const near = fields.find((f) => fold(f) === fold(key));
          warnings.push({
            path: [...path, key],
            pos,
            message: near === undefined ? `Unused key ${key}` : `Unused key ${key} (Ignition still reads it as "${near}"; spell it "${near}")`,
          });
        }
        return out;
      }
      case 'array': {
        if (node.kind !== 'array') return wrongType();
        const before = Array.isArray(existing) ? existing : [];
        return node.items.map((item, i) =>
          item.kind === 'null' ? (before[i] ?? zero(d.element)) : decode(before[i], item, d.element, [...path, i]),
        );
      }
      case 'string':
        return node.kind === 'string' ? node.value : wrongType();
      case 'boolean':
        return node.kind === 'boolean' ? node.value : wrongType();
      case 'number': {
        if (node.kind !== 'number') return wrongType();
        if (!/^-?[0-9]+$/.test(node.raw)) {
          errors.push({ path, pos: node.pos, message: 'wrong type: expected an integer, found a number with a fraction or exponent' });
          return existing;
        }
        const big = BigInt(node.raw);
        if (big < INT64_MIN || big > INT64_MAX) {
          errors.push({ path, pos: node.pos, message: 'integer out of range (must fit in 64 bits)' });
          return existing;
        }
        return Number(node.raw);
      }
    }
  };

  const value = decode(undefined, root, schema, []);
  return { value, errors, warnings };
}
