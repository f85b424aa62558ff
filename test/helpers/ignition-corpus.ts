// The Ignition config corpus: test/fixtures/ignition/<spec>/{valid,invalid}/<name>.ign, each with a
// <name>.expect.json sidecar (see test/fixtures/ignition/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../src/ignition/validate.js';

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/ignition/', import.meta.url));

export interface Expectation {
  valid: boolean;
  /** The first step that fails: bad JSON, unusable version, wrong types (Go decoding), or Ignition's rules. */
  stage?: 'syntax' | 'version' | 'structure' | 'semantic';
  /**
   * Set when the official JSON Schema's verdict differs from Ignition's structural one (Ignition
   * decodes missing or null fields as empty and reports them itself; Go rejects integers written with
   * a fraction); explains why.
   */
  schemaDivergence?: string;
  errors: Report[];
  warnings: Report[];
}

export interface CorpusCase {
  spec: string;
  name: string;
  /** "3.3.0/invalid/file-path-relative" */
  id: string;
  file: string;
  text: string;
  expect: Expectation;
}

export function loadCorpus(specs?: readonly string[]): CorpusCase[] {
  const out: CorpusCase[] = [];
  const all = readdirSync(CORPUS_DIR).filter((d) => /^\d+\.\d+\.\d+/.test(d)).sort();
  for (const spec of all) {
    if (specs && !specs.includes(spec)) continue;
    for (const verdict of ['valid', 'invalid']) {
      const dir = join(CORPUS_DIR, spec, verdict);
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.ign')).sort()) {
        const name = f.slice(0, -'.ign'.length);
        const file = join(dir, f);
        const expect = JSON.parse(readFileSync(join(dir, `${name}.expect.json`), 'utf8')) as Expectation;
        out.push({ spec, name, id: `${spec}/${verdict}/${name}`, file, text: readFileSync(file, 'utf8'), expect });
      }
    }
  }
  return out;
}
