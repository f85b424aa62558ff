import { describe, expect, it } from 'vitest';
import { findDuplicateKeys, JsonSyntaxError, parseJson, toPlain } from '../../../src/ignition/json-position.js';

describe('parseJson', () => {
  it('keeps the position of every value and key (1-based line, UTF-8 byte column)', () => {
    const root = parseJson('{"a": [1, "é", {"b": null}],\n  "c":\ttrue}');
    if (root.kind !== 'object') throw new Error('not an object');
    expect(root.pos).toEqual({ offset: 0, line: 1, col: 1 });
    const [a, c] = root.members;
    expect(a?.keyPos).toMatchObject({ line: 1, col: 2 });
    if (a?.value.kind !== 'array') throw new Error('not an array');
    expect(a.value.items.map((i) => i.pos.col)).toEqual([8, 11, 17]); // "é" is 2 bytes
    expect(c?.keyPos).toMatchObject({ line: 2, col: 3 });
    expect(c?.value.pos).toMatchObject({ line: 2, col: 8 });
  });

  it('counts characters outside the BMP as 4 bytes', () => {
    const root = parseJson('["😀", 1]');
    if (root.kind !== 'array') throw new Error('not an array');
    expect(root.items[1]?.pos.col).toBe(10);
  });

  it('keeps number literals so integers written as 1.0 can be told apart', () => {
    const root = parseJson('[1.0, -0, 1e2, 9223372036854775808]');
    if (root.kind !== 'array') throw new Error('not an array');
    expect(root.items.map((n) => (n.kind === 'number' ? n.raw : ''))).toEqual(['1.0', '-0', '1e2', '9223372036854775808']);
  });

  it('decodes escapes; lone surrogates become U+FFFD as in Go', () => {
    expect(toPlain(parseJson('["\\u00e9\\n\\/\\ud83d\\ude00", "\\ud800x"]'))).toEqual(['é\n/😀', '\ufffdx']);
  });

  it.each([
    ['', 'unexpected end of JSON input', 1, 1],
    ['{"a":1} x', 'invalid character after top-level value', 1, 9],
    ['{"a":1,}', 'invalid character looking for beginning of object key string', 1, 8],
    ['[1,\n  2 3]', 'invalid character after array element', 2, 5],
    ['{"a":01}', 'invalid character in numeric literal', 1, 7],
    ['["a\tb"]', 'invalid control character in string literal', 1, 4],
    ['["\\x"]', 'invalid character in string escape code', 1, 4],
    ['[tru]', 'invalid character in literal true (expecting \'e\')', 1, 5],
    ['\ufeff{}', 'invalid character looking for beginning of value', 1, 1],
    ['{"a" 1}', 'invalid character after object key', 1, 6],
  ])('rejects %j: %s', (text, message, line, col) => {
    try {
      parseJson(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JsonSyntaxError);
      expect((err as JsonSyntaxError).message).toBe(message);
      expect((err as JsonSyntaxError).pos).toMatchObject({ line, col });
    }
  });

  it('keeps duplicate keys in order and finds them', () => {
    const root = parseJson('{"a":{"x":1,"x":2},"a":3}');
    expect(findDuplicateKeys(root).map((d) => [d.path, d.key, d.pos.col])).toEqual([
      [['a'], 'x', 13],
      [[], 'a', 20],
    ]);
    expect(toPlain(root)).toEqual({ a: 3 });
  });

  it('treats __proto__ as an ordinary key', () => {
    const v = toPlain(parseJson('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
