// `day0 pxe …`: Ignition configs as initrds for PXE boots, with coreos-installer's command and flag names.
import type { Command } from 'commander';
import { Day0Error } from '../../util/errors.js';
import {
  addCommonCustomizeOptions,
  commonCustomizeOptions,
  reportCustomize,
  writeNetworkKeyfiles,
  writeStdout,
  type CommonCustomizeFlags,
} from './iso.js';

// The implementations are loaded in each action, not here: registering a command must stay cheap (start-up time).
const initrds = () => import('../../formats/ignition-initrd.js');
const customize = () => import('../../live/customize.js');

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
    .option('-o, --output <path>', 'write the initrd here (mode 0600) instead of stdout; refused if it exists, unless -f')
    .option('-f, --force', 'with -o: replace the output file if it exists')
    .action(async (o: { ignitionFile?: string; output?: string; force?: boolean }) => {
      if (!o.output || o.output === '-') refuseTerminalStdout();
      const [{ checkIgnitionConfig, packIgnitionInitrd }, { readFileOrStdin }, { writeOutputAtomically, writePatches }] =
        await Promise.all([initrds(), customize(), import('../../live/iso-embed.js')]);
      const config = await readFileOrStdin(o.ignitionFile, 'Ignition config');
      checkIgnitionConfig(config, o.ignitionFile ?? 'the Ignition config on stdin');
      const initrd = await packIgnitionInitrd(config, { compression: 'xz' });
      if (o.output && o.output !== '-') {
        await writeOutputAtomically(o.output, 0o600, (fh) => writePatches(fh, [{ offset: 0, data: initrd }]), { overwrite: o.force === true });
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
      const [{ unpackIgnitionInitrd }, { readFileOrStdin }] = await Promise.all([initrds(), customize()]);
      const initrd = await readFileOrStdin(input, 'initrd');
      await writeStdout(await unpackIgnitionInitrd(initrd));
      process.exitCode = 0;
    });

  addCommonCustomizeOptions(
    pxe
      .command('customize')
      .description('append a live Ignition config (and installer options) to a PXE initramfs'),
  )
    .requiredOption('-o, --output <path>', 'output initramfs (mode 0600), or - for stdout; refused if it exists, unless -f')
    .option('-f, --force', 'replace the output file if it exists')
    .argument('<initramfs>', 'the live PXE initramfs')
    .action(async (initramfs: string, o: CommonCustomizeFlags & { output: string; force?: boolean }) => {
      const { pxeCustomize } = await customize();
      const result = await pxeCustomize(initramfs, { ...commonCustomizeOptions(o), output: o.output, force: o.force === true });
      reportCustomize(result);
      process.exitCode = 0;
    });
  const network = pxe.command('network').description('NetworkManager keyfiles in an initrd (etc/coreos-firstboot-network)');

  network
    .command('unwrap')
    .description('print the NetworkManager keyfiles held in an initrd, or write them to a directory')
    .option('-C, --directory <dir>', 'write the keyfiles (mode 0600) into this directory instead of printing them')
    .argument('[initrd]', 'initrd file (e.g. one made by pxe customize), or - for stdin', '-')
    .action(async (input: string, o: { directory?: string }) => {
      const [{ unpackInitrd }, { readFileOrStdin }, { networkMembers }] = await Promise.all([initrds(), customize(), import('../../live/iso-embed.js')]);
      const files = networkMembers(await unpackInitrd(await readFileOrStdin(input, 'initrd')));
      await writeNetworkKeyfiles(files, o.directory);
      process.exitCode = 0;
    });
}
