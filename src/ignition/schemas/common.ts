// Building blocks for the per-version Ignition config schemas.
//
// The schemas describe the config as Ignition's Go code decodes it (the structs generated from the
// official JSON Schemas), not as a strict JSON Schema validator would: every field may be absent (Go
// fills in zero values; Ignition's own validation then decides what is required), and `null` is
// accepted everywhere (Go treats it as "leave unset"). Fields the JSON Schema types as nullable are Go
// pointers and are marked `.nullable()` here; that distinction matters to Ignition's rules (an empty
// string is "set", a missing pointer is not) and to how configs merge.
//
// Named object schemas are registered with their Go type name; the validator and the merger look
// rules, keys and field order up by that name.
import { z } from 'zod';

export const goTypes = z.registry<{ goType: string }>();

/** Register `schema` under Go type name `name` and return it. */
export function named<T extends z.ZodType>(name: string, schema: T): T {
  goTypes.add(schema, { goType: name });
  return schema;
}

export function goTypeName(schema: z.ZodType): string | undefined {
  return goTypes.get(schema)?.goType;
}

/** A named struct. */
export function struct<S extends z.ZodRawShape>(name: string, shape: S) {
  return named(name, z.object(shape));
}

/** Go `string` (absent = ""). */
export const str = () => z.string().optional();
/** Go `*string`. */
export const ptrStr = () => z.string().nullable().optional();
/** Go `int` (absent = 0). Go ints are 64-bit; the decoder checks the literal. */
export const int = () => z.number().optional();
/** Go `*int`. */
export const ptrInt = () => z.number().nullable().optional();
/** Go `*bool`. */
export const ptrBool = () => z.boolean().nullable().optional();
/** Go slice. */
export const list = <T extends z.ZodType>(item: T) => z.array(item).optional();
/** A struct-valued field (always present in Go, zero when absent from the JSON). */
export const field = <T extends z.ZodType>(s: T) => s.optional();
/** A pointer-to-struct field (nil when absent). */
export const ptr = <T extends z.ZodType>(s: T) => s.nullable().optional();
