// `day0 ignition validate FILE|-`: check an Ignition config as Ignition would, without printing any
// of its contents (only where each problem is).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Day0Error } from '../../util/errors.js';

export interface ValidateIo {
  out(text: string): void;
  readStdin(): Promise<Buffer>;
}

const processIo: ValidateIo = {
  out: (text) => process.stdout.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
  },
};

async function readConfig(file: string, io: ValidateIo): Promise<Buffer> {
  if (file === '-') return io.readStdin();
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Day0Error(`cannot read Ignition config ${file}: ${code}`, { fix: 'check the path and its permissions (use - to read standard input)' });
  }
}

/** Validate `file` ("-" = standard input) and report; returns the exit code (0 valid, 1 invalid). */
export async function runIgnitionValidate(file: string, opts: { json?: boolean }, io: ValidateIo = processIo): Promise<number> {
  // Decoding replaces invalid UTF-8 with U+FFFD, as Ignition's JSON reader does.
  const text = new TextDecoder('utf-8').decode(await readConfig(file, io));
  // Loaded here, not at the top: registering the command must not load the validator (start-up time).
  const { formatResult, validateIgnition } = await import('../../ignition/validate.js');
  const result = validateIgnition(text);
  const valid = result.errors.length === 0;
  if (opts.json) {
    io.out(`${JSON.stringify({ valid, version: result.version ?? null, errors: result.errors, warnings: result.warnings }, null, 2)}\n`);
  } else {
    const lines = formatResult(result);
    const name = file === '-' ? 'standard input' : file;
    const summary = valid
      ? `${name}: valid Ignition config (spec ${result.version})${result.warnings.length > 0 ? `, ${result.warnings.length} warning(s)` : ''}`
      : `${name}: invalid Ignition config: ${result.errors.length} error(s)`;
    io.out(`${[...lines, summary].join('\n')}\n`);
  }
  return valid ? 0 : 1;
}

export function registerIgnitionCommands(program: Command): void {
  const ignition = program.command('ignition').description('work with Ignition configs');
  ignition
    .command('validate')
    .description('check an Ignition config (spec 3.0.0-3.6.0, 3.7.0-experimental) as Ignition would; exit 0 if valid, 1 if not')
    .argument('<file>', 'the config file, or - to read standard input')
    .option('--json', 'print {valid, version, errors, warnings} as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      process.exitCode = await runIgnitionValidate(file, opts);
    });
}
