// Merge Ignition configs with Ignition's own rules (config/merge), on plain JSON config objects:
// - structs merge field by field; the child's value wins for plain values, a pointer field (one the
//   spec allows to be null) only when the child sets it; pointer-to-struct fields are replaced whole;
// - lists of keyed entries (files/directories/links by path, units and drop-ins by name, users and
//   groups by name, disks by device, partitions by number or label, ...) merge entries with equal
//   keys in place and append the child's new ones; an entry the child puts in a *different* list of
//   the same key space (a file where the parent had a link) replaces the parent's;
// - lists exempt from duplicate checks (file `append`, filesystem/RAID/LUKS options) are concatenated;
// - a child HTTP header without a value removes the parent's header of that name.
// The parent's entries keep their order; keys the schema does not know are kept as they are.
import type { z } from 'zod';
import { Day0Error } from '../util/errors.js';
import { entryKey, ignoresDuplicates, keySpace } from './rules/keys.js';
import { describe, formatPath, type Path } from './schema-walk.js';
import { isKnownSpecVersion, KNOWN_SPEC_VERSIONS, SPEC_SCHEMAS, type v3_0 } from './schemas/index.js';

export type IgnitionJson = Record<string, unknown>;

const isObject = (v: unknown): v is IgnitionJson => v !== null && typeof v === 'object' && !Array.isArray(v);
const present = (o: IgnitionJson, k: string): boolean => Object.hasOwn(o, k) && o[k] !== null && o[k] !== undefined;

function setOwn(o: IgnitionJson, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function malformed(path: Path, what: string): never {
  throw new Day0Error(`cannot merge Ignition configs: ${formatPath(path)} should be ${what}`, {
    fix: 'validate both configs first (`day0 ignition validate FILE`)',
  });
}

function asList(v: unknown, path: Path): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : malformed(path, 'a list');
}

function asStruct(v: unknown, path: Path): IgnitionJson {
  if (v === undefined || v === null) return {};
  return isObject(v) ? v : malformed(path, 'an object');
}

function mergeStruct(parent: IgnitionJson, child: IgnitionJson, schema: z.ZodType, path: Path): IgnitionJson {
  const d = describe(schema);
  if (d.kind !== 'object') throw new Error('mergeStruct on a non-struct schema');
  const shape = d.shape;
  const result: IgnitionJson = {};

  // Child entries of every keyed list, by key space and key (Go's newStructInfo).
  const childEntries = new Map<string, { field: string; index: number; value: unknown }>();
  for (const [field, fieldSchema] of Object.entries(shape)) {
    if (describe(fieldSchema).kind !== 'array' || ignoresDuplicates(d.typeName, field)) continue;
    const element = (describe(fieldSchema) as { element: z.ZodType }).element;
    const elementType = describe(element);
    asList(child[field], [...path, field]).forEach((value, index) => {
      const key = entryKey(elementType.kind === 'array' ? undefined : elementType.typeName, value);
      childEntries.set(`${keySpace(d.typeName, field)}\u0000${key}`, { field, index, value });
    });
  }

  const keys = [...Object.keys(parent), ...Object.keys(child).filter((k) => !Object.hasOwn(parent, k))];
  for (const key of keys) {
    const fieldSchema = shape[key];
    const at = [...path, key];
    if (fieldSchema === undefined) {
      // not a field of this spec: Ignition ignores it; keep it (the child's copy if it has one)
      setOwn(result, key, Object.hasOwn(child, key) ? child[key] : parent[key]);
      continue;
    }
    const f = describe(fieldSchema);
    if (f.kind === 'object') {
      if (f.pointer) {
        const v = present(child, key) ? child[key] : parent[key];
        if (v !== undefined && v !== null) setOwn(result, key, v);
      } else {
        setOwn(result, key, mergeStruct(asStruct(parent[key], at), asStruct(child[key], at), fieldSchema, at));
      }
    } else if (f.kind === 'array') {
      const merged = mergeList(d.typeName, key, f.element, asList(parent[key], at), asList(child[key], at), childEntries, at);
      if (merged.length > 0) setOwn(result, key, merged);
    } else if (f.pointer) {
      const v = present(child, key) ? child[key] : parent[key];
      if (v !== undefined && v !== null) setOwn(result, key, v);
    } else if (present(child, key)) {
      // a plain Go value: the child's always wins, and an unset one is the zero value (omitted)
      setOwn(result, key, child[key]);
    }
  }
  return result;
}

function mergeList(
  typeName: string | undefined,
  field: string,
  element: z.ZodType,
  parent: unknown[],
  child: unknown[],
  childEntries: Map<string, { field: string; index: number; value: unknown }>,
  path: Path,
): unknown[] {
  if (ignoresDuplicates(typeName, field)) return [...parent, ...child];
  const e = describe(element);
  const elementName = e.kind === 'array' ? undefined : e.typeName;
  const space = keySpace(typeName, field);
  const out: unknown[] = [];
  const parentKeys = new Set<string>();
  parent.forEach((item, i) => {
    const key = entryKey(elementName, item);
    parentKeys.add(key);
    const match = childEntries.get(`${space}\u0000${key}`);
    if (match === undefined) out.push(item);
    else if (match.field === field) {
      if (e.kind !== 'object') out.push(match.value);
      else if (!(elementName === 'HTTPHeader' && !present(asStruct(match.value, [...path, i]), 'value'))) {
        out.push(mergeStruct(asStruct(item, [...path, i]), asStruct(match.value, [...path, match.index]), element, [...path, i]));
      }
    }
    // else: the child has this key in another list of the same key space; that entry replaces this one
  });
  for (const item of child) if (!parentKeys.has(entryKey(elementName, item))) out.push(item);
  return out;
}

function specOf(config: IgnitionJson, which: string): string | undefined {
  const ign = config.ignition;
  const v = isObject(ign) ? ign.version : undefined;
  if (v !== undefined && typeof v !== 'string') malformed(['ignition', 'version'], 'a string');
  if (v !== undefined && !isKnownSpecVersion(v)) {
    throw new Day0Error(`cannot merge Ignition configs: the ${which} config has unsupported spec version ${v}`, {
      fix: `use one of: ${KNOWN_SPEC_VERSIONS.join(', ')}`,
    });
  }
  return v;
}

/**
 * Merge `child` into `parent` as Ignition merges configs. `child` may be a fragment without
 * `ignition.version`; it then takes the parent's. Neither input is modified.
 */
export function mergeConfigs(parent: IgnitionJson, child: IgnitionJson): IgnitionJson {
  const version = specOf(parent, 'parent');
  if (version === undefined) {
    throw new Day0Error('cannot merge Ignition configs: the parent config has no ignition.version', {
      fix: `set ignition.version (one of: ${KNOWN_SPEC_VERSIONS.join(', ')})`,
    });
  }
  const childVersion = specOf(child, 'child');
  if (childVersion !== undefined && childVersion !== version) {
    throw new Day0Error(`cannot merge Ignition configs of different spec versions (${version} and ${childVersion})`, {
      fix: `write both configs in the same spec version (${version})`,
    });
  }
  const childIgnition = asStruct(child.ignition, ['ignition']);
  const fullChild = { ...child, ignition: { ...childIgnition, version } };
  return mergeStruct(parent, fullChild, SPEC_SCHEMAS[version as keyof typeof SPEC_SCHEMAS], []);
}

export type UnitSpec = z.input<typeof v3_0.Unit> & { name: string };
export type FileSpec = z.input<typeof v3_0.File> & { path: string };

function section(config: IgnitionJson, name: string): IgnitionJson {
  const s = config[name];
  return isObject(s) ? s : {};
}

/** Add a systemd unit; refuses to change a unit the config already defines. */
export function addUnit(config: IgnitionJson, unit: UnitSpec): IgnitionJson {
  const units = asList(section(config, 'systemd').units, ['systemd', 'units']);
  if (units.some((u) => isObject(u) && u.name === unit.name)) {
    throw new Day0Error(`the Ignition config already defines systemd unit ${unit.name}`, {
      fix: `rename or remove that unit in your config; day0 needs ${unit.name} for itself`,
    });
  }
  return mergeConfigs(config, { systemd: { units: [unit] } });
}

/** Add a file; refuses to touch a path the config already uses for a file, directory or link. */
export function addFile(config: IgnitionJson, file: FileSpec): IgnitionJson {
  const storage = section(config, 'storage');
  for (const list of ['files', 'directories', 'links']) {
    const nodes = asList(storage[list], ['storage', list]);
    if (nodes.some((n) => isObject(n) && n.path === file.path)) {
      throw new Day0Error(`the Ignition config already has an entry for ${file.path} in storage.${list}`, {
        fix: `remove or move that entry; day0 needs ${file.path} for itself`,
      });
    }
  }
  return mergeConfigs(config, { storage: { files: [file] } });
}
