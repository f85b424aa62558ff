// Issue 10: "no arch name is tested in code outside the profile layer". Platforms are the files in profiles/; code
// reads typed values from src/profiles and never spells an architecture. This test parses every src/**/*.ts outside
// src/profiles/ (the one module that turns arch names into platforms) and src/ignition/ (Ignition's own spec text)
// with a small TypeScript tokenizer (comments, strings, template literals, regex literals) and flags any string
// literal that is an arch name — comments and identifiers do not count.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const ARCH_NAMES = new Set(['x86_64', 'aarch64', 'ppc64le', 's390x', 'amd64', 'arm64']);
const SRC = join(PACKAGE_ROOT, 'src');
const EXCLUDED = ['src/profiles/', 'src/ignition/'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Literal {
  /** The literal's content (between the quotes, escapes left as written). */
  value: string;
  /** As written, with its quotes. */
  raw: string;
  line: number;
}

const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'instanceof']);

/** String literals and substitution-free template literals of a TypeScript source, skipping comments and regexes. */
export function stringLiterals(text: string): Literal[] {
  const out: Literal[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let depth = 0; // brace depth
  const templates: number[] = []; // brace depth at which each open template's ${ … } closes
  let prev = ''; // last significant token (punctuator or word) — decides regex vs division

  const readTemplate = (start: number, startLine: number, open: boolean): void => {
    // from just after ` (or after the } that closes a substitution); open = this template had a substitution
    let j = start;
    while (j < n) {
      const c = text[j]!;
      if (c === '\\') { j += 2; continue; }
      if (c === '\n') line++;
      if (c === '`') {
        if (!open) out.push({ value: text.slice(start, j), raw: text.slice(start - 1, j + 1), line: startLine });
        i = j + 1;
        prev = 'str';
        return;
      }
      if (c === '$' && text[j + 1] === '{') {
        templates.push(depth);
        depth++;
        i = j + 2;
        prev = '{';
        return;
      }
      j++;
    }
    i = n;
  };

  while (i < n) {
    const c = text[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out.push({ value: text.slice(i + 1, j), raw: text.slice(i, j + 1), line });
      i = j + 1;
      prev = 'str';
      continue;
    }
    if (c === '`') { readTemplate(i + 1, line, false); continue; }
    if (c === '}' && templates.length && templates[templates.length - 1] === depth - 1) {
      templates.pop();
      depth--;
      readTemplate(i + 1, line, true);
      continue;
    }
    if (c === '/' && (prev === '' || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(prev) || REGEX_AFTER_WORD.has(prev))) {
      let j = i + 1;
      let inClass = false;
      while (j < n && text[j] !== '\n') {
        const d = text[j]!;
        if (d === '\\') { j += 2; continue; }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        j++;
      }
      j++;
      while (j < n && /[a-z]/i.test(text[j]!)) j++;
      i = j;
      prev = 'regex';
      continue;
    }
    const word = /^[A-Za-z_$][\w$]*|^\d[\w.]*/.exec(text.slice(i, i + 64));
    if (word) { prev = word[0]; i += word[0].length; continue; }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    prev = c;
    i++;
  }
  return out;
}

/** `file:line: literal` for each string literal in `text` that is an arch name. */
export function archLiterals(file: string, text: string): string[] {
  return stringLiterals(text).filter((l) => ARCH_NAMES.has(l.value)).map((l) => `${file}:${l.line}: ${l.raw}`);
}

describe('no arch names in code', () => {
  const files = tsFiles(SRC).map((f) => relative(PACKAGE_ROOT, f).split('\\').join('/')).filter((f) => !EXCLUDED.some((x) => f.startsWith(x))).sort();

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain('src/qemu/args.ts');
    expect(files.some((f) => f.startsWith('src/profiles/'))).toBe(false);
  });

  it('the scanner sees literals, not comments or identifiers', () => {
    const sample = [
      "// x86_64 in a comment, 'aarch64' quoted in a comment",
      "/* 'arm64' */",
      "const m = { x64: 'x86_64', s390x: 1 };",
      'if (arch === "aarch64") {}',
      'const t = `arm64`;',
      'const ok = `${a}.x86_64.iso`;',
      "const name = 'x86_64-efi';",
      "const re = /'x86_64'/g; const q = a / 2 / b; const s2 = 's390x';",
      'const nested = `a ${`ppc64le`} ${ { k: "amd64" }.k } b`;',
      "const esc = 'it\\'s'; const e2 = 'arm64';",
    ].join('\n');
    expect(archLiterals('sample.ts', sample)).toEqual([
      "sample.ts:3: 'x86_64'", 'sample.ts:4: "aarch64"', 'sample.ts:5: `arm64`', "sample.ts:8: 's390x'",
      'sample.ts:9: `ppc64le`', 'sample.ts:9: "amd64"', "sample.ts:10: 'arm64'",
    ]);
  });

  it('no string literal outside src/profiles/ and src/ignition/ is an arch name', () => {
    const found = files.flatMap((f) => archLiterals(f, readFileSync(join(PACKAGE_ROOT, f), 'utf8')));
    expect(found, `arch names in code (read them from the profile instead):\n  ${found.join('\n  ')}`).toEqual([]);
  });
});
