// Reading the config schemas' structure: the decoder, the validator's tree walk and the merger are
// all driven by the same zod schemas.
import { z } from 'zod';
import { goTypeName } from './schemas/common.js';

export type Segment = string | number;
export type Path = readonly Segment[];

export type SchemaNode =
  | { kind: 'object'; pointer: boolean; typeName: string | undefined; shape: Readonly<Record<string, z.ZodType>> }
  | { kind: 'array'; element: z.ZodType }
  | { kind: 'string' | 'number' | 'boolean'; pointer: boolean; typeName: string | undefined };

/** Strip optional/nullable wrappers; `pointer` tells whether null/absence means "nil" (Go pointer). */
export function describe(schema: z.ZodType): SchemaNode {
  let s: z.ZodType = schema;
  let pointer = false;
  for (;;) {
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodNullable) {
      pointer = true;
      s = s.unwrap() as z.ZodType;
    } else break;
  }
  const typeName = goTypeName(s);
  if (s instanceof z.ZodObject) return { kind: 'object', pointer, typeName, shape: s.shape as Record<string, z.ZodType> };
  if (s instanceof z.ZodArray) return { kind: 'array', element: s.element as z.ZodType };
  if (s instanceof z.ZodString) return { kind: 'string', pointer, typeName };
  if (s instanceof z.ZodNumber) return { kind: 'number', pointer, typeName };
  if (s instanceof z.ZodBoolean) return { kind: 'boolean', pointer, typeName };
  throw new Error(`unsupported schema node ${s.def.type}`);
}

// Go orders a struct's fields as schematyper generated them: embedded Node fields first (for files,
// directories and links), then the rest sorted by Go field name. Ignition walks fields in that
// order, which decides the order of its reports.
const GO_FIELD_NAMES: Readonly<Record<string, string>> = {
  httpHeaders: 'HTTPHeaders',
  httpProxy: 'HTTPProxy',
  httpsProxy: 'HTTPSProxy',
  httpResponseHeaders: 'HTTPResponseHeaders',
  httpTotal: 'HTTPTotal',
  sshAuthorizedKeys: 'SSHAuthorizedKeys',
  uid: 'UID',
  uuid: 'UUID',
  guid: 'GUID',
  typeGuid: 'TypeGUID',
  url: 'URL',
  tls: 'TLS',
  id: 'ID',
};
const NODE_FIELDS = ['group', 'overwrite', 'path', 'user'];
const NODE_TYPES = new Set(['File', 'Directory', 'Link']);

export function goFieldName(jsonName: string): string {
  return GO_FIELD_NAMES[jsonName] ?? jsonName.charAt(0).toUpperCase() + jsonName.slice(1);
}

const orderCache = new Map<string, string[]>();

export function goFieldOrder(typeName: string | undefined, keys: readonly string[]): string[] {
  const cacheKey = `${typeName ?? ''}\u0000${keys.join('\u0000')}`;
  let order = orderCache.get(cacheKey);
  if (order === undefined) {
    order = computeFieldOrder(typeName, keys);
    orderCache.set(cacheKey, order);
  }
  return order;
}

function computeFieldOrder(typeName: string | undefined, keys: readonly string[]): string[] {
  const byGoName = (a: string, b: string): number => {
    const x = goFieldName(a);
    const y = goFieldName(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  if (typeName !== undefined && NODE_TYPES.has(typeName)) {
    const node = NODE_FIELDS.filter((k) => keys.includes(k));
    return [...node, ...keys.filter((k) => !NODE_FIELDS.includes(k)).sort(byGoName)];
  }
  return [...keys].sort(byGoName);
}

/** `$.storage.files.0.path`, as Ignition prints paths. */
export function formatPath(path: Path): string {
  return ['$', ...path.map(String)].join('.');
}
