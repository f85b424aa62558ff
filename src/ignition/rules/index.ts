// Ignition's semantic validation of a decoded config, in Ignition's order: first every struct's own
// checks in a depth-first walk (a struct before its fields, fields in Go order), then the duplicate
// check over every list, as ignition-validate reports them.
import type { z } from 'zod';
import { describe, goFieldOrder, type Path } from '../schema-walk.js';
import { entryKey, ignoresDuplicates, keySpace } from './keys.js';
import { MSG } from './messages.js';
import { resourceRules } from './resources.js';
import type { SpecRules } from './spec-rules.js';
import { storageRules } from './storage.js';
import { systemdRules } from './systemd.js';
import type { RuleContext, Rules } from './types.js';

export { SPEC_RULES, type SpecRules } from './spec-rules.js';

const RULES = { ...resourceRules, ...storageRules, ...systemdRules } satisfies Rules;
type AnyRule = (value: unknown, path: Path, ctx: RuleContext) => void;

export interface Finding {
  kind: 'error' | 'warning';
  path: Path;
  message: string;
}

type Visitor = (typeName: string | undefined, value: unknown, path: Path, shape?: Readonly<Record<string, z.ZodType>>) => void;

/** Visit every struct (and named scalar) the way Go's validator does, zero structs included. */
function visit(schema: z.ZodType, value: unknown, path: Path, fn: Visitor): void {
  const d = describe(schema);
  if (d.kind === 'object') {
    if (value === undefined && d.pointer) return;
    const obj = (value ?? {}) as Record<string, unknown>;
    fn(d.typeName, obj, path, d.shape);
    for (const key of goFieldOrder(d.typeName, Object.keys(d.shape))) visit(d.shape[key]!, obj[key], [...path, key], fn);
  } else if (d.kind === 'array') {
    if (Array.isArray(value)) value.forEach((v, i) => visit(d.element, v, [...path, i], fn));
  } else if (d.typeName !== undefined && value !== undefined) {
    fn(d.typeName, value, path);
  }
}

function duplicateCheck(typeName: string | undefined, obj: Record<string, unknown>, path: Path, shape: Readonly<Record<string, z.ZodType>>, ctx: RuleContext): void {
  const spaces = new Map<string, Set<string>>();
  for (const field of goFieldOrder(typeName, Object.keys(shape))) {
    const d = describe(shape[field]!);
    const items = obj[field];
    if (d.kind !== 'array' || !Array.isArray(items) || ignoresDuplicates(typeName, field)) continue;
    const elementType = describe(d.element);
    const elementName = elementType.kind === 'array' ? undefined : elementType.typeName;
    const space = keySpace(typeName, field);
    const seen = spaces.get(space) ?? new Set<string>();
    spaces.set(space, seen);
    items.forEach((item, i) => {
      const key = entryKey(elementName, item);
      if (seen.has(key)) ctx.error([...path, field, i], MSG.duplicate);
      seen.add(key);
    });
  }
}

/** All of Ignition's semantic findings for a decoded config of the spec `spec`. */
export function checkConfig(config: unknown, schema: z.ZodType, spec: SpecRules): Finding[] {
  const findings: Finding[] = [];
  const ctx: RuleContext = {
    spec,
    error: (path, message) => findings.push({ kind: 'error', path, message }),
    warn: (path, message) => findings.push({ kind: 'warning', path, message }),
  };
  const rules = RULES as Record<string, AnyRule | undefined>;
  visit(schema, config, [], (typeName, value, path) => {
    if (typeName !== undefined) rules[typeName]?.(value, path, ctx);
  });
  visit(schema, config, [], (typeName, value, path, shape) => {
    if (shape !== undefined) duplicateCheck(typeName, value as Record<string, unknown>, path, shape, ctx);
  });
  return findings;
}
