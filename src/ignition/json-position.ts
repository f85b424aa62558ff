// A small JSON parser that keeps where every value (and every object key) starts.
//
// Positions follow ignition-validate's convention so reports line up with it: `line` is 1-based and
// `col` is 1 + the number of UTF-8 *bytes* between the start of the line and the value (a tab or an
// "é" before the value count as 1 and 2). Only "\n" ends a line. The grammar is RFC 8259 JSON as Go's
// encoding/json accepts it; lone UTF-16 surrogates in \u escapes decode to U+FFFD, as in Go.
// Duplicate object keys are kept (in order) so callers can apply Go's "last one wins" rule and warn.

export interface Position {
  /** UTF-16 index into the source text. */
  offset: number;
  line: number;
  col: number;
}

interface NodeBase {
  pos: Position;
}

export interface JsonMember {
  key: string;
  keyPos: Position;
  value: JsonNode;
}

export type JsonNode =
  | (NodeBase & { kind: 'object'; members: JsonMember[] })
  | (NodeBase & { kind: 'array'; items: JsonNode[] })
  | (NodeBase & { kind: 'string'; value: string })
  | (NodeBase & { kind: 'number'; raw: string; value: number })
  | (NodeBase & { kind: 'boolean'; value: boolean })
  | (NodeBase & { kind: 'null' });

export type JsonKind = JsonNode['kind'];

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: Position,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Maps UTF-16 offsets to ignition-validate's line/col (col counts UTF-8 bytes). */
export class PositionMap {
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x0a) this.lineStarts.push(i + 1);
  }

  at(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo]!;
    return { offset, line: lo + 1, col: utf8Length(this.text, start, offset) + 1 };
  }
}

/** UTF-8 byte length of text[from, to) (lone surrogates count 3, as U+FFFD). */
export function utf8Length(text: string, from = 0, to = text.length): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to && isLowSurrogate(text.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

const MAX_DEPTH = 10000; // Go's encoding/json limit
const SIMPLE_ESCAPES = new Map([['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t']]);

/** Parse `text` as one JSON document. Throws JsonSyntaxError (with a position) on bad syntax. */
export function parseJson(text: string): JsonNode {
  return new Parser(text).parseDocument();
}

class Parser {
  private i = 0;
  private readonly positions: PositionMap;

  constructor(private readonly text: string) {
    this.positions = new PositionMap(text);
  }

  parseDocument(): JsonNode {
    this.skipWs();
    if (this.i >= this.text.length) this.fail('unexpected end of JSON input');
    const node = this.parseValue(0);
    this.skipWs();
    if (this.i < this.text.length) this.fail('invalid character after top-level value');
    return node;
  }

  private fail(message: string, offset = this.i): never {
    throw new JsonSyntaxError(message, this.positions.at(Math.min(offset, this.text.length)));
  }

  private skipWs(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  /**
   * One value, iteratively: containers are kept on an explicit stack, so nesting as deep as Go's limit (10,000
   * levels; deeper is refused with its "exceeded max depth") never exhausts the JavaScript call stack.
   */
  private parseValue(_depth: number): JsonNode {
    type Frame =
      | { node: JsonNode & { kind: 'object' }; key?: string; keyPos?: Position }
      | { node: JsonNode & { kind: 'array' } };
    const stack: Frame[] = [];
    for (;;) {
      // Read one value: a scalar, or the opening of a container (then read its first member, or close it if empty).
      let value: JsonNode;
      const pos = this.positions.at(this.i);
      const c = this.text[this.i];
      if (c === '{' || c === '[') {
        if (stack.length + 1 > MAX_DEPTH) this.fail('exceeded max depth');
        this.i++;
        this.skipWs();
        if (c === '{') {
          const node: JsonNode & { kind: 'object' } = { kind: 'object', members: [], pos };
          if (this.text[this.i] === '}') {
            this.i++;
            value = node;
          } else {
            stack.push({ node });
            this.readKey(stack[stack.length - 1] as { key?: string; keyPos?: Position });
            continue;
          }
        } else {
          const node: JsonNode & { kind: 'array' } = { kind: 'array', items: [], pos };
          if (this.text[this.i] === ']') {
            this.i++;
            value = node;
          } else {
            stack.push({ node });
            continue;
          }
        }
      } else {
        value = this.parseScalar(pos, c);
      }
      // Attach the finished value to its container; close containers as long as they end here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (!top) return value;
        this.skipWs();
        const next = this.text[this.i];
        if (top.node.kind === 'object') {
          const f = top as { node: JsonNode & { kind: 'object' }; key?: string; keyPos?: Position };
          f.node.members.push({ key: f.key!, keyPos: f.keyPos!, value });
          if (next === ',') {
            this.i++;
            this.readKey(f);
            break;
          }
          if (next === '}') {
            this.i++;
            stack.pop();
            value = f.node;
            continue;
          }
          if (next === undefined) this.fail('unexpected end of JSON input');
          this.fail('invalid character after object key:value pair');
        } else {
          top.node.items.push(value);
          if (next === ',') {
            this.i++;
            this.skipWs();
            break;
          }
          if (next === ']') {
            this.i++;
            stack.pop();
            value = top.node;
            continue;
          }
          if (next === undefined) this.fail('unexpected end of JSON input');
          this.fail('invalid character after array element');
        }
      }
    }
  }

  /** Read `"key" :` and the whitespace before the value, into the object frame. */
  private readKey(frame: { key?: string; keyPos?: Position }): void {
    this.skipWs();
    if (this.i >= this.text.length) this.fail('unexpected end of JSON input');
    if (this.text[this.i] !== '"') this.fail('invalid character looking for beginning of object key string');
    frame.keyPos = this.positions.at(this.i);
    frame.key = this.parseString();
    this.skipWs();
    if (this.i >= this.text.length) this.fail('unexpected end of JSON input');
    if (this.text[this.i] !== ':') this.fail('invalid character after object key');
    this.i++;
    this.skipWs();
  }

  private parseScalar(pos: Position, c: string | undefined): JsonNode {
    switch (c) {
      case '"':
        return { kind: 'string', value: this.parseString(), pos };
      case 't':
        this.literal('true');
        return { kind: 'boolean', value: true, pos };
      case 'f':
        this.literal('false');
        return { kind: 'boolean', value: false, pos };
      case 'n':
        this.literal('null');
        return { kind: 'null', pos };
      case undefined:
        return this.fail('unexpected end of JSON input');
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber(pos);
        return this.fail('invalid character looking for beginning of value');
    }
  }

  private literal(word: string): void {
    for (let k = 0; k < word.length; k++) {
      if (this.i >= this.text.length) this.fail('unexpected end of JSON input');
      if (this.text[this.i] !== word[k]) this.fail(`invalid character in literal ${word} (expecting '${word[k]}')`);
      this.i++;
    }
  }

  private parseString(): string {
    this.i++; // opening quote
    let out = '';
    let runStart = this.i;
    for (;;) {
      if (this.i >= this.text.length) this.fail('unexpected end of JSON input');
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) {
        out += this.text.slice(runStart, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('invalid control character in string literal');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += this.text.slice(runStart, this.i);
      this.i++; // backslash
      const e = this.text[this.i];
      const simple = e === undefined ? undefined : SIMPLE_ESCAPES.get(e);
      if (simple !== undefined) {
        out += simple;
        this.i++;
      } else if (e === 'u') {
        const unit = this.hex4(this.i + 1);
        this.i += 5;
        if (unit >= 0xd800 && unit <= 0xdbff && this.text[this.i] === '\\' && this.text[this.i + 1] === 'u') {
          const low = this.hex4(this.i + 2);
          if (isLowSurrogate(low)) {
            out += String.fromCharCode(unit, low);
            this.i += 6;
          } else out += '\ufffd';
        } else if (unit >= 0xd800 && unit <= 0xdfff) {
          out += '\ufffd';
        } else out += String.fromCharCode(unit);
      } else if (e === undefined) {
        this.fail('unexpected end of JSON input');
      } else {
        this.fail('invalid character in string escape code');
      }
      runStart = this.i;
    }
  }

  private hex4(at: number): number {
    const s = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(s)) {
      if (at + 4 > this.text.length) this.fail('unexpected end of JSON input', this.text.length);
      this.fail('invalid character in \\u hexadecimal character escape', at);
    }
    return parseInt(s, 16);
  }

  private parseNumber(pos: Position): JsonNode {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i, this.i + 400));
    const raw = m?.[0] ?? '';
    if (raw === '' || raw === '-') this.fail('invalid character in numeric literal', this.i + raw.length);
    const next = this.text[this.i + raw.length];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail('invalid character in numeric literal', this.i + raw.length);
    this.i += raw.length;
    return { kind: 'number', raw, value: Number(raw), pos };
  }
}

/** Whether `text` is one JSON document (Go's json.Unmarshal into `any` accepts it). */
export function isJson(text: string): boolean {
  try {
    parseJson(text);
    return true;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return false;
    throw err;
  }
}

/** Every key that appears more than once in one object, with the position of each repeat (iterative: any depth). */
export function findDuplicateKeys(root: JsonNode): { path: (string | number)[]; key: string; pos: Position }[] {
  const out: { path: (string | number)[]; key: string; pos: Position }[] = [];
  const todo: { node: JsonNode; path: (string | number)[] }[] = [{ node: root, path: [] }];
  const pending: { node: JsonNode; path: (string | number)[] }[] = [];
  while (todo.length > 0) {
    const { node, path } = todo.pop()!;
    if (node.kind === 'object') {
      const seen = new Set<string>();
      for (const m of node.members) {
        if (seen.has(m.key)) out.push({ path, key: m.key, pos: m.keyPos });
        seen.add(m.key);
        if (m.value.kind === 'object' || m.value.kind === 'array') pending.push({ node: m.value, path: [...path, m.key] });
      }
    } else if (node.kind === 'array') {
      node.items.forEach((item, i) => {
        if (item.kind === 'object' || item.kind === 'array') pending.push({ node: item, path: [...path, i] });
      });
    }
    // Children in document order: push them reversed so the first is visited next.
    while (pending.length > 0) todo.push(pending.pop()!);
  }
  // Document order, as a recursive walk would report them.
  return out.sort((a, b) => a.pos.offset - b.pos.offset);
}

/** Plain JS value of a node (last duplicate key wins); iterative, so any depth. */
export function toPlain(root: JsonNode): unknown {
  const scalar = (node: JsonNode): unknown => (node.kind === 'null' ? null : 'value' in node ? node.value : undefined);
  if (root.kind !== 'object' && root.kind !== 'array') return scalar(root);
  const make = (node: JsonNode): unknown => (node.kind === 'object' ? {} : node.kind === 'array' ? [] : scalar(node));
  const top = make(root);
  const todo: { node: JsonNode; into: unknown }[] = [{ node: root, into: top }];
  while (todo.length > 0) {
    const { node, into } = todo.pop()!;
    if (node.kind === 'object') {
      const o = into as Record<string, unknown>;
      for (const m of node.members) {
        const v = make(m.value);
        Object.defineProperty(o, m.key, { value: v, enumerable: true, writable: true, configurable: true });
        if (m.value.kind === 'object' || m.value.kind === 'array') todo.push({ node: m.value, into: v });
      }
    } else if (node.kind === 'array') {
      const a = into as unknown[];
      for (const item of node.items) {
        const v = make(item);
        a.push(v);
        if (item.kind === 'object' || item.kind === 'array') todo.push({ node: item, into: v });
      }
    }
  }
  return top;
}
