// Issue 14 item 14: deeply nested configs must not blow the JavaScript stack (Go's decoder allows 10,000 levels).
import { describe, expect, it } from 'vitest';
import { findDuplicateKeys, parseJson, toPlain } from '../../../src/ignition/json-position.js';
import { validateIgnition } from '../../../src/ignition/validate.js';

const arrays = (n: number): string => `{"ignition":{"version":"3.3.0"},"x":${'['.repeat(n)}${']'.repeat(n)}}`;
const objects = (n: number): string => `{"ignition":{"version":"3.3.0"},"x":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;

describe('issue14 item 14: deep nesting', () => {
  it('item 14: validates 9,998 levels of arrays and objects without a stack overflow', () => {
    for (const text of [arrays(9998), objects(9998), arrays(2200), objects(5000)]) {
      const r = validateIgnition(text);
      expect(r.errors).toEqual([]);
      expect(r.warnings.map((w) => w.message)).toEqual(['Unused key x']);
    }
  });

  it('item 14: refuses more than 10,000 levels with Go\'s "exceeded max depth" and a position', () => {
    const r = validateIgnition(arrays(10_001));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toBe('invalid JSON: exceeded max depth');
    // The top-level object is level 1, so the 10,000th "[" is the first one refused.
    expect(r.errors[0]!.line).toBe(1);
    expect(r.errors[0]!.col).toBe('{"ignition":{"version":"3.3.0"},"x":'.length + 9999 + 1);
    expect(validateIgnition(arrays(9999)).errors).toEqual([]);
  });

  it('item 14: findDuplicateKeys and toPlain walk deep trees iteratively, in document order', () => {
    const deep = parseJson(`${'{"a":'.repeat(20_00)}{"k":1,"k":2}${'}'.repeat(20_00)}`);
    expect(findDuplicateKeys(deep)).toHaveLength(1);
    const flat = parseJson('{"b":[1,{"c":true,"c":false}],"a":null,"d":"x","b2":{"e":[[]]},"a":3}');
    expect(findDuplicateKeys(flat).map((d) => d.key)).toEqual(['c', 'a']);
    expect(toPlain(flat)).toEqual({ b: [1, { c: false }], a: 3, d: 'x', b2: { e: [[]] } });
    let v = (toPlain(parseJson(arrays(9000))) as { x: unknown }).x;
    let depth = 0;
    while (Array.isArray(v) && v.length > 0) {
      v = v[0];
      depth++;
    }
    expect(depth).toBe(8999); // the innermost array is empty

  });
});
