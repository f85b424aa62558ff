// day0's Ignition validator against the real one: Debian's ignition-validate (Ignition 2.14, spec
// 3.0.0-3.3.0) must give every corpus file the same verdict, and its first error the same path, line
// and column as ours.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateIgnition } from '../../src/ignition/validate.js';
import { loadCorpus } from '../helpers/ignition-corpus.js';

const SPECS = ['3.0.0', '3.1.0', '3.2.0', '3.3.0'];
const corpus = loadCorpus(SPECS);

function findIgnitionValidate(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin'];
  return dirs.map((d) => join(d, 'ignition-validate')).find((p) => existsSync(p));
}

interface Verdict {
  valid: boolean;
  first?: { path: string; line: number; col: number; message: string };
  output: string;
}

async function runIgnitionValidate(bin: string, file: string): Promise<Verdict> {
  const r = await execa(bin, [file], { reject: false, all: true });
  const line = (r.all ?? '').split('\n').find((l) => l.startsWith('error at '));
  const m = line === undefined ? null : /^error at (?:(\$[^,]*), )?line (\d+) col (\d+): (.*)$/.exec(line);
  return {
    valid: r.exitCode === 0,
    ...(m ? { first: { path: m[1] ?? '', line: Number(m[2]), col: Number(m[3]), message: m[4]! } } : {}),
    output: r.all ?? '',
  };
}

describe('ignition-validate agrees with day0', () => {
  const bin = findIgnitionValidate();
  const verdicts = new Map<string, Verdict>();

  beforeAll(async () => {
    if (bin === undefined) return;
    const queue = [...corpus];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let c = queue.shift(); c !== undefined; c = queue.shift()) verdicts.set(c.id, await runIgnitionValidate(bin, c.file));
      }),
    );
  });

  it('has ignition-validate', () => {
    expect(bin, 'ignition-validate not found: apt-get install ignition').toBeDefined();
  });

  it('covers dozens of configs per spec', () => {
    for (const spec of SPECS) expect(corpus.filter((c) => c.spec === spec).length).toBeGreaterThan(100);
  });

  it.each(corpus.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    if (bin === undefined) throw new Error('ignition-validate not found: apt-get install ignition');
    const theirs = verdicts.get(c.id)!;
    const ours = validateIgnition(c.text);
    expect(ours.errors.length === 0, theirs.output).toBe(theirs.valid);
    // ignition-validate gives no path for syntax, type and version errors; where it does, ours must match
    if (!theirs.valid && theirs.first !== undefined && theirs.first.path !== '') {
      const first = ours.errors[0]!;
      expect({ path: first.path, line: first.line, col: first.col }, theirs.output).toEqual({
        path: theirs.first.path,
        line: theirs.first.line,
        col: theirs.first.col,
      });
    }
  });
});

// Random configs aimed at the Go behaviours day0 reimplements (url.Parse, the data URL and systemd unit
// parsers and their buffering, path cleaning, JSON decoding quirks); the seed keeps runs reproducible.
function randomConfigs(seed: number, count: number): string[] {
  let state = seed;
  const rnd = (): number => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const str = (alphabet: readonly string[], max: number): string => Array.from({ length: Math.floor(rnd() * max) }, () => pick(alphabet)).join('');
  const URL_CHARS = ['a', 'Z', '0', '/', ':', '?', '#', '%', '2', 'f', '@', '[', ']', '.', '-', '+', ' ', '=', '&', ';', ',', '"', '\\', '{', '|', 'é', '\t', 'base64', 'x-'];
  const PREFIXES = ['http://', 'https://', 's3://b/k?versionId', 'tftp://', 'gs://', 'data:', 'data:text/plain;', 'data:;base64,', 'data:x-y/z;q="', 'DATA:', 'ftp://', '', 'HTTP://', 'arn:aws:s3:::'];
  const UNIT_PARTS = ['[Unit]\n', '[Install]\n', 'A=b\n', '#c\\\n', 'x', '\n', '\r\n', ' ', '=', '\\\n', '[', ']', 'é'];
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const version = pick(['3.0.0', '3.1.0', '3.2.0', '3.3.0']);
    let body: Record<string, unknown>;
    switch (pick(['url', 'url', 'unit', 'path', 'label', 'proxy', 'types'])) {
      case 'url':
        body = { storage: { files: [{ path: '/f', contents: { source: pick(PREFIXES) + str(URL_CHARS, 12) } }] } };
        break;
      case 'unit': {
        let contents = '';
        for (let k = Math.floor(rnd() * 10); k > 0; k--) contents += rnd() < 0.2 ? 'z'.repeat(Math.floor(rnd() * 4200)) : pick(UNIT_PARTS).repeat(1 + Math.floor(rnd() * 200));
        body = { systemd: { units: [{ name: pick(['u.service', 'u', 'u.SERVICE']), enabled: rnd() < 0.5, contents }] } };
        break;
      }
      case 'path':
        body = { storage: { [pick(['files', 'directories', 'links'])]: [{ path: str(['/', 'a', '.', '..', 'é'], 8), target: '/t' }] } };
        break;
      case 'label':
        body = { storage: { disks: [{ device: '/dev/vda', partitions: [{ label: str(['a', ':', 'é'], 40) }] }], filesystems: [{ device: '/dev/vdb', format: pick(['ext4', 'xfs', 'vfat', '', 'none']), label: str(['a', 'é'], 18) }] } };
        break;
      case 'proxy':
        body = { ignition: { version, proxy: { httpsProxy: pick(PREFIXES) + str(URL_CHARS, 10) } } };
        break;
      default:
        body = { [pick(['storage', 'Storage', 'passwd'])]: pick([{ files: [{ path: '/a', mode: pick([420, '420', 1.5, null, -1, 4096]) }] }, { users: [{ name: pick(['u', 7, null]) }] }, [], null]) };
    }
    docs.push(JSON.stringify({ ignition: { version }, ...body }));
  }
  return docs;
}

describe('ignition-validate agrees with day0 on random configs', () => {
  const bin = findIgnitionValidate();
  const docs = randomConfigs(20240521, 400);
  const dir = mkdtempSync(join(tmpdir(), 'day0-ignition-fuzz-'));
  const verdicts: Verdict[] = [];

  beforeAll(async () => {
    if (bin === undefined) return;
    docs.forEach((d, i) => writeFileSync(join(dir, `${i}.ign`), d));
    const queue = docs.map((_, i) => i);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) verdicts[i] = await runIgnitionValidate(bin, join(dir, `${i}.ign`));
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every config the same verdict and first error location', () => {
    if (bin === undefined) throw new Error('ignition-validate not found: apt-get install ignition');
    const disagreements = docs.flatMap((doc, i) => {
      const theirs = verdicts[i]!;
      const ours = validateIgnition(doc);
      const first = ours.errors[0];
      const same =
        ours.errors.length === 0 === theirs.valid &&
        (theirs.first === undefined || theirs.first.path === '' || (first?.path === theirs.first.path && first.line === theirs.first.line && first.col === theirs.first.col));
      return same ? [] : [`${doc}\n  ignition-validate: ${theirs.output.trim()}\n  day0: ${JSON.stringify(first ?? 'valid')}`];
    });
    expect(disagreements).toEqual([]);
  });
});
