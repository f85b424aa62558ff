// day0's command line. Commands are thin: they parse flags and call the modules that do the work.
//
// Start-up cost: registering a command must not load what it runs. Each commands/*.ts file imports only commander
// (and light helpers) at its top and loads its implementation with `await import(…)` inside the action, so
// `day0 --version`, `day0 iso ignition show` or `day0 ignition validate` load only what they use.
// `build` and `check-boot` still import their implementations at module top, so they are registered only when the
// command line needs them (see `needsCommand`).
import { Command, CommanderError } from 'commander';
import { installSignalHandlers, runAllCleanups } from '../util/cleanup.js';
import { formatError } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { registerCache } from './commands/cache.js';
import { registerDoctor } from './commands/doctor.js';
import { registerIgnitionCommands } from './commands/ignition.js';
import { registerInspect } from './commands/inspect.js';
import { registerIsoCommands } from './commands/iso.js';
import { registerPxeCommands } from './commands/pxe.js';


const EXAMPLES = `
Examples:
  # is this machine ready? (podman, builder image, loop devices, QEMU acceleration)
  day0 doctor

  # what is in a layered OS image?
  day0 inspect --tls-verify=false localhost:5000/day0/demo-layered:latest

  # validate an Ignition config
  day0 ignition validate config.ign

  # wrap a config as the initrd that PXE boots load
  day0 pxe ignition wrap -i config.ign -o ignition.img

Environment:
  DAY0_CONFIG, DAY0_EXECUTOR (podman|host), DAY0_BUILDER_IMAGE, DAY0_CACHE, REGISTRY_AUTH_FILE
`;

/** Commands day0 knows that are cheap to register (their modules load their implementation in the action). */
const CHEAP_COMMANDS = new Set(['inspect', 'ignition', 'doctor', 'cache', 'iso', 'pxe']);

/**
 * Whether parsing `argv` (process.argv form) may reach command `name`: when it is the command named, or when no
 * cheap command is named at all (help, no command, an unknown or misspelt one: commander then lists or suggests
 * every command). `--version`/`-V` alone needs none.
 */
export function needsCommand(name: string, argv: readonly string[] | undefined): boolean {
  if (!argv) return true;
  const args = argv.slice(2);
  const first = args.findIndex((a) => !a.startsWith('-'));
  if (first < 0) return !(args.length > 0 && args.every((a) => a === '-V' || a === '--version'));
  let word = args[first]!;
  if (word === 'help') {
    const next = args[first + 1];
    if (next === undefined) return true;
    word = next;
  }
  if (word === name) return true;
  return !CHEAP_COMMANDS.has(word);
}

/**
 * The program. With `argv`, `build` and `check-boot` (whose modules load the whole build and boot-check stack) are
 * registered only when that command line can reach them; without it, every command is registered.
 */
export async function makeProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name('day0')
    .description('Install media for new machines from a layered OS container image and an Ignition config')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);
  if (needsCommand('build', argv)) (await import('./commands/build.js')).registerBuild(program);
  if (needsCommand('check-boot', argv)) (await import('./commands/check-boot.js')).registerCheckBoot(program);
  registerInspect(program);
  registerIgnitionCommands(program);
  registerDoctor(program);
  registerCache(program);
  registerIsoCommands(program);
  registerPxeCommands(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  installSignalHandlers();
  try {
    const program = await makeProgram(argv);
    program.exitOverride();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`${formatError(err)}\n`);
    await runAllCleanups();
    const code = (err as { exitCode?: unknown }).exitCode;
    return typeof code === 'number' ? code : 1;
  }
}
