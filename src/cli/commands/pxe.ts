// `day0 pxe …`: Ignition configs as initrds for PXE boots, with coreos-installer's command and flag names.
import type { Command } from 'commander';
import { Day0Error } from '../../util/errors.js';
import { checkIgnitionConfig, packIgnitionInitrd, unpackIgnitionInitrd } from '../../formats/ignition-initrd.js';
import { pxeCustomize, readFileOrStdin } from '../../live/customize.js';
import { writeOutputAtomically, writePatches } from '../../live/iso-embed.js';
import {
  addCommonCustomizeOptions,
  commonCustomizeOptions,
  reportCustomize,
  writeStdout,
  type CommonCustomizeFlags,
} from './iso.js';

function refuseTerminalStdout(): void {
  if (process.stdout.isTTY) {
    throw new Day0Error('refusing to write a binary initrd to a terminal', {
      fix: 'pass -o FILE, or redirect stdout to a file',
    });
  }
}

export function registerPxeCommands(program: Command): void {
  const pxe = program.command('pxe').description('Ignition configs and customizations for PXE boots (coreos-installer compatible)');

  const ignition = pxe.command('ignition').description('wrap an Ignition config as an initrd, or unwrap one');

  ignition
    .command('wrap')
    .description('wrap an Ignition config as an initrd to load after the PXE initramfs (stdout without -o)')
    .option('-i, --ignition-file <path>', 'Ignition config (default: stdin)')
    .option('-o, --output <path>', 'write the initrd here (mode 0600) instead of stdout')
    .action(async (o: { ignitionFile?: string; output?: string }) => {
      if (!o.output || o.output === '-') refuseTerminalStdout();
      const config = await readFileOrStdin(o.ignitionFile, 'Ignition config');
      checkIgnitionConfig(config, o.ignitionFile ?? 'the Ignition config on stdin');
      const initrd = await packIgnitionInitrd(config, { compression: 'xz' });
      if (o.output && o.output !== '-') {
        await writeOutputAtomically(o.output, 0o600, (fh) => writePatches(fh, [{ offset: 0, data: initrd }]));
      } else {
        await writeStdout(initrd);
      }
      process.exitCode = 0;
    });

  ignition
    .command('unwrap')
    .description('print the Ignition config held in an initrd (gzip, xz, zstd or plain cpio)')
    .argument('[initrd]', 'initrd file, or - for stdin', '-')
    .action(async (input: string) => {
      const initrd = await readFileOrStdin(input, 'initrd');
      await writeStdout(await unpackIgnitionInitrd(initrd));
      process.exitCode = 0;
    });

  addCommonCustomizeOptions(
    pxe
      .command('customize')
      .description('append a live Ignition config (and installer options) to a PXE initramfs'),
  )
    .requiredOption('-o, --output <path>', 'output initramfs (mode 0600), or - for stdout')
    .argument('<initramfs>', 'the live PXE initramfs')
    .action(async (initramfs: string, o: CommonCustomizeFlags & { output: string }) => {
      const result = await pxeCustomize(initramfs, { ...commonCustomizeOptions(o), output: o.output });
      reportCustomize(result);
      process.exitCode = 0;
    });
}
