import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerIgnitionCommands, runIgnitionValidate, type ValidateIo } from '../../../src/cli/commands/ignition.js';
import { Day0Error } from '../../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'day0-ign-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const VALID = file('valid.ign', '{"ignition":{"version":"3.3.0"},"extra":true}');
const INVALID = file('invalid.ign', '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"etc/motd","contents":{"source":"data:,s3cret"}}]}}');

function io(stdin = ''): ValidateIo & { text: () => string } {
  let out = '';
  return { out: (t) => (out += t), readStdin: async () => Buffer.from(stdin), text: () => out };
}

describe('runIgnitionValidate', () => {
  it('prints errors and warnings the way ignition-validate does and returns 1 for an invalid config', async () => {
    const o = io();
    expect(await runIgnitionValidate(INVALID, {}, o)).toBe(1);
    expect(o.text()).toBe(`error at $.storage.files.0.path, line 1 col 61: path not absolute\n${INVALID}: invalid Ignition config: 1 error(s)\n`);
    expect(o.text()).not.toContain('s3cret');
  });

  it('returns 0 for a valid config and still shows its warnings', async () => {
    const o = io();
    expect(await runIgnitionValidate(VALID, {}, o)).toBe(0);
    expect(o.text()).toBe(`warning at $.extra, line 1 col 33: Unused key extra\n${VALID}: valid Ignition config (spec 3.3.0), 1 warning(s)\n`);
  });

  it('reads standard input for "-" and prints JSON with --json', async () => {
    const o = io('{"ignition":{"version":"3.1.0"},"systemd":{"units":[{"name":"x"}]}}');
    expect(await runIgnitionValidate('-', { json: true }, o)).toBe(1);
    expect(JSON.parse(o.text())).toEqual({
      valid: false,
      version: '3.1.0',
      errors: [{ path: '$.systemd.units.0.name', line: 1, col: 61, message: 'invalid systemd unit extension' }],
      warnings: [],
    });
  });

  it('reports an unreadable file as a Day0Error', async () => {
    await expect(runIgnitionValidate(join(dir, 'missing.ign'), {}, io())).rejects.toThrow(Day0Error);
    await expect(runIgnitionValidate(join(dir, 'missing.ign'), {}, io())).rejects.toThrow(/cannot read Ignition config .*missing.ign: ENOENT/);
  });
});

describe('registerIgnitionCommands', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('adds `ignition validate FILE [--json]` that sets the exit code', async () => {
    const program = new Command().exitOverride();
    registerIgnitionCommands(program);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await program.parseAsync(['node', 'day0', 'ignition', 'validate', '--json', INVALID]);
    expect(process.exitCode).toBe(1);
    const printed = write.mock.calls.map((c) => String(c[0])).join('');
    expect(JSON.parse(printed)).toMatchObject({ valid: false, version: '3.3.0' });
    await program.parseAsync(['node', 'day0', 'ignition', 'validate', VALID]);
    expect(process.exitCode).toBe(0);
  });

  it('requires a file argument', async () => {
    const program = new Command().exitOverride();
    registerIgnitionCommands(program);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(program.parseAsync(['node', 'day0', 'ignition', 'validate'])).rejects.toThrow(/missing required argument/);
  });
});
