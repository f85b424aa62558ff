import { describe, expect, it } from 'vitest';
import { analyzeIgnition, formatReport, formatResult, locate, parseIgnitionConfig, validateIgnition } from '../../../src/ignition/validate.js';
import { parseJson } from '../../../src/ignition/json-position.js';
import { configSchema, v3_3 } from '../../../src/ignition/schemas/index.js';
import { Day0Error } from '../../../src/util/errors.js';
import { loadCorpus } from '../../helpers/ignition-corpus.js';

const corpus = loadCorpus();

// Values of these keys may be secrets; no report may quote them.
const SECRET_KEYS = new Set(['source', 'contents', 'passwordHash', 'sshAuthorizedKeys', 'value', 'config', 'advertisement', 'thumbprint', 'httpProxy', 'httpsProxy', 'hash']);
function secretsOf(v: unknown, key = ''): string[] {
  if (typeof v === 'string') return SECRET_KEYS.has(key) && v.length >= 4 ? [v] : [];
  if (Array.isArray(v)) return v.flatMap((x) => secretsOf(x, key));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => secretsOf(x, k));
  return [];
}

describe('corpus', () => {
  it('has dozens of cases for every spec 3.0-3.3 and some for 3.4-3.7', () => {
    const count = (spec: string) => corpus.filter((c) => c.spec === spec).length;
    for (const spec of ['3.0.0', '3.1.0', '3.2.0', '3.3.0']) expect(count(spec)).toBeGreaterThan(100);
    for (const spec of ['3.4.0', '3.5.0', '3.6.0', '3.7.0-experimental']) expect(count(spec)).toBeGreaterThan(10);
  });

  it.each(corpus.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const a = analyzeIgnition(c.text);
    expect(a.result.errors.length === 0).toBe(c.expect.valid);
    expect(c.id.includes('/valid/')).toBe(c.expect.valid);
    expect(a.failedStage).toBe(c.expect.stage);
    expect(a.result.errors).toEqual(c.expect.errors);
    expect(a.result.warnings).toEqual(c.expect.warnings);
    if (c.expect.stage !== 'syntax') {
      const secrets = secretsOf(JSON.parse(c.text));
      for (const line of formatResult(a.result)) for (const secret of secrets) expect(line).not.toContain(secret);
    }
  });
});

describe('reports never carry config values', () => {
  it('does not echo a bad data URL, unit contents or a password', () => {
    const text = JSON.stringify({
      ignition: { version: '3.3.0' },
      storage: { files: [{ path: '/k', contents: { source: 'data:;base64,c2VjcmV0LXRva2Vu!' } }] },
      systemd: { units: [{ name: 'a.service', contents: '[Unit] Password=hunter2' }] },
      passwd: { users: [{ name: 'u', passwordHash: 'hunter2hash' }, { name: 'u' }] },
    });
    const out = formatResult(validateIgnition(text)).join('\n');
    expect(out).toContain('$.storage.files.0.contents.source');
    expect(out).toContain('$.systemd.units.0.contents');
    expect(out).not.toMatch(/c2VjcmV0|hunter2/);
  });
});

describe('formatReport', () => {
  it('prints ignition-validate style lines', () => {
    expect(formatReport({ path: '$.storage.files.0.path', line: 1, col: 61, message: 'path not absolute' })).toBe(
      'error at $.storage.files.0.path, line 1 col 61: path not absolute',
    );
    expect(formatReport({ path: '', line: 2, col: 34, message: 'invalid JSON: x' }, 'error')).toBe('error at line 2 col 34: invalid JSON: x');
    expect(formatReport({ path: '$.x', line: 1, col: 33, message: 'Unused key x' }, 'warning')).toBe('warning at $.x, line 1 col 33: Unused key x');
  });

  it('lists errors before warnings', () => {
    const r = validateIgnition('{"ignition":{"version":"3.3.0"},"x":1,"storage":{"files":[{"path":"rel"}]}}');
    expect(formatResult(r)).toEqual([
      'error at $.storage.files.0.path, line 1 col 67: path not absolute',
      'warning at $.x, line 1 col 33: Unused key x',
    ]);
  });
});

describe('positions follow ignition-validate', () => {
  const text = '{"ignition":{"version":"3.3.0"},\n\t"storage":{"files":[{"path":"/é","mode":9999}]}}';
  it('counts columns in UTF-8 bytes and puts containers one column after their bracket', () => {
    const root = parseJson(text);
    // checked with ignition-validate 2.14: "error at $.storage.files.0.mode, line 2 col 43"
    expect(locate(root, ['storage', 'files', 0, 'mode'])).toMatchObject({ line: 2, col: 43 });
    expect(locate(root, ['storage', 'files', 0])).toMatchObject({ line: 2, col: 23 });
    // a missing field is reported at its deepest present ancestor
    expect(locate(root, ['storage', 'files', 0, 'user', 'id'])).toMatchObject({ line: 2, col: 23 });
    expect(locate(root, [])).toMatchObject({ line: 1, col: 2 });
  });
});

describe('versions', () => {
  it('names the known versions when the version is unsupported', () => {
    const r = validateIgnition('{"ignition":{"version":"3.9.0"}}');
    expect(r.version).toBe('3.9.0');
    expect(r.errors[0]?.message).toBe('unsupported config version (known: 3.0.0, 3.1.0, 3.2.0, 3.3.0, 3.4.0, 3.5.0, 3.6.0, 3.7.0-experimental)');
  });
  it('reads versions the way Ignition does ("03.3.0" is 3.3.0)', () => {
    expect(validateIgnition('{"ignition":{"version":"03.3.0"}}')).toEqual({ version: '3.3.0', errors: [], warnings: [] });
  });
  it('picks the schema by version: fields of newer specs are unknown keys in older ones', () => {
    const doc = (v: string) => JSON.stringify({ ignition: { version: v }, kernelArguments: { shouldExist: ['quiet'] } });
    expect(validateIgnition(doc('3.2.0')).warnings.map((w) => w.message)).toEqual(['Unused key kernelArguments']);
    expect(validateIgnition(doc('3.3.0')).warnings).toEqual([]);
  });
});

describe('parseIgnitionConfig', () => {
  it('returns the decoded config of a valid one', () => {
    const { config, version } = parseIgnitionConfig('{"ignition":{"version":"3.1.0"},"systemd":{"units":[{"name":"a.service"}]}}');
    expect(version).toBe('3.1.0');
    expect(config.systemd?.units?.[0]?.name).toBe('a.service');
  });
  it('throws a Day0Error listing the problems', () => {
    expect(() => parseIgnitionConfig('{"ignition":{"version":"3.1.0"},"storage":{"files":[{"path":"x"}]}}', 'user.ign')).toThrow(Day0Error);
    expect(() => parseIgnitionConfig('{}', 'user.ign')).toThrow(/user.ign is not a valid Ignition config:\n {2}error at \$\.ignition\.version/);
  });
});

describe('configSchema', () => {
  it('picks the schema by version and names the known versions otherwise', () => {
    expect(configSchema('3.3.0')).toBe(v3_3.Config);
    expect(() => configSchema('3.9.0')).toThrow(Day0Error);
    try {
      configSchema('3.9.0');
    } catch (err) {
      expect((err as Day0Error).fix).toBe('use one of: 3.0.0, 3.1.0, 3.2.0, 3.3.0, 3.4.0, 3.5.0, 3.6.0, 3.7.0-experimental');
    }
  });
});
