// day0's command line. Commands are thin: they parse flags and call the modules that do the work.
import { Command, CommanderError } from 'commander';
import { installSignalHandlers, runAllCleanups } from '../util/cleanup.js';
import { formatError } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { registerBuild } from './commands/build.js';
import { registerCheckBoot } from './commands/check-boot.js';
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

export function makeProgram(): Command {
  const program = new Command();
  program
    .name('day0')
    .description('Install media for new machines from a layered OS container image and an Ignition config')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);
  registerBuild(program);
  registerCheckBoot(program);
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
  const program = makeProgram();
  program.exitOverride();
  try {
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
