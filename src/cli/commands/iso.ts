// `day0 iso …`: the live ISO's embed areas, with coreos-installer's command and flag names.
import type { Command } from 'commander';
import type { KargsEdit } from '../../formats/embed-areas.js';
import {
  isoCustomize,
  readFileOrStdin,
  type CommonCustomizeOptions,
  type CustomizeResult,
} from '../../live/customize.js';
import {
  embedIgnition,
  modifyKargs,
  removeIgnition,
  resetKargs,
  showIgnition,
  showKargs,
} from '../../live/iso-embed.js';

/** For repeatable options: `-a x -a y` → ['x', 'y'] (undefined when absent, so help shows no default). */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Write to stdout and wait until it is flushed (binary-safe). */
export function writeStdout(data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

/** The options `iso customize` and `pxe customize` share. */
export function addCommonCustomizeOptions(cmd: Command): Command {
  return cmd
    .option('--dest-ignition <path>', 'Ignition config for the installed system (repeatable: merged)', collect)
    .option('--dest-device <path>', 'install to this disk automatically, without confirmation')
    .option('--dest-karg-append <arg>', 'kernel argument to add to the installed system (repeatable)', collect)
    .option('--dest-karg-delete <arg>', 'kernel argument to remove from the installed system (repeatable)', collect)
    .option('--network-keyfile <path>', 'NetworkManager keyfile for the live (and installed) system (repeatable)', collect)
    .option('--ignition-ca <path>', 'CA certificate (PEM) Ignition trusts for HTTPS fetches (repeatable)', collect)
    .option('--live-ignition <path>', 'Ignition config for the live system (repeatable: merged)', collect);
}

/** The shared customize flags as commander parses them (the same names as the options). */
export type CommonCustomizeFlags = Omit<CommonCustomizeOptions, 'compression'>;

export function commonCustomizeOptions(o: CommonCustomizeFlags): CommonCustomizeOptions {
  return {
    destIgnition: o.destIgnition ?? [],
    ...(o.destDevice ? { destDevice: o.destDevice } : {}),
    destKargAppend: o.destKargAppend ?? [],
    destKargDelete: o.destKargDelete ?? [],
    networkKeyfile: o.networkKeyfile ?? [],
    ignitionCa: o.ignitionCa ?? [],
    liveIgnition: o.liveIgnition ?? [],
  };
}

/** What coreos-installer says about the result: whether booting the media will install. */
export function reportCustomize(result: CustomizeResult): void {
  if (result.destDevice) {
    process.stderr.write(`Boot media will automatically install to ${result.destDevice} without confirmation.\n`);
  } else if (result.installerRuns) {
    process.stderr.write('Boot media will automatically run the installer.\n');
  }
}

const outputOption = ['-o, --output <path>', 'write a modified copy here instead of modifying the ISO in place'] as const;

export function registerIsoCommands(program: Command): void {
  const iso = program
    .command('iso')
    .description('inspect and customize a live ISO: embedded Ignition config and kernel arguments (coreos-installer compatible)');

  const ignition = iso.command('ignition').description('embed, show or remove the live Ignition config');

  ignition
    .command('embed')
    .description('embed an Ignition config in the live ISO (read from stdin without -i)')
    .option('-f, --force', 'overwrite an existing embedded config')
    .option('-i, --ignition-file <path>', 'Ignition config to embed (default: stdin)')
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { force?: boolean; ignitionFile?: string; output?: string }) => {
      const config = await readFileOrStdin(o.ignitionFile, 'Ignition config');
      await embedIgnition(isoPath, config, { force: o.force === true, ...(o.output ? { output: o.output } : {}) });
      process.exitCode = 0;
    });

  ignition
    .command('show')
    .description('print the embedded Ignition config')
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string) => {
      await writeStdout(await showIgnition(isoPath));
      process.exitCode = 0;
    });

  ignition
    .command('remove')
    .description('remove the embedded Ignition config')
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { output?: string }) => {
      await removeIgnition(isoPath, o.output ? { output: o.output } : {});
      process.exitCode = 0;
    });

  const kargs = iso.command('kargs').description('show or change the live kernel arguments');

  kargs
    .command('show')
    .description('print the live kernel arguments')
    .option('-d, --default', 'print the default kernel arguments instead of the current ones')
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { default?: boolean }) => {
      await writeStdout(`${await showKargs(isoPath, { default: o.default === true })}\n`);
      process.exitCode = 0;
    });

  kargs
    .command('modify')
    .description('change the live kernel arguments (deletions first, then appends, then replacements)')
    .option('-a, --append <karg>', 'kernel argument to append (repeatable)', collect)
    .option('-d, --delete <karg>', 'kernel argument to delete (repeatable)', collect)
    .option('-r, --replace <KEY=OLD=NEW>', 'kernel argument to replace (repeatable)', collect)
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { append?: string[]; delete?: string[]; replace?: string[]; output?: string }) => {
      const edit: KargsEdit = { append: o.append ?? [], delete: o.delete ?? [], replace: o.replace ?? [] };
      await modifyKargs(isoPath, edit, o.output ? { output: o.output } : {});
      process.exitCode = 0;
    });

  kargs
    .command('reset')
    .description('restore the default live kernel arguments')
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { output?: string }) => {
      await resetKargs(isoPath, o.output ? { output: o.output } : {});
      process.exitCode = 0;
    });

  addCommonCustomizeOptions(
    iso
      .command('customize')
      .description('customize a live ISO for installing (Ignition configs, network, installer options, kernel arguments)'),
  )
    .option('--live-karg-append <arg>', 'kernel argument to add to the live system (repeatable)', collect)
    .option('--live-karg-delete <arg>', 'default kernel argument to remove from the live system (repeatable)', collect)
    .option('--live-karg-replace <KEY=OLD=NEW>', 'live kernel argument to replace (repeatable)', collect)
    .option('-f, --force', 'replace an existing customization')
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(
      async (
        isoPath: string,
        o: CommonCustomizeFlags & {
          liveKargAppend?: string[];
          liveKargDelete?: string[];
          liveKargReplace?: string[];
          force?: boolean;
          output?: string;
        },
      ) => {
        const result = await isoCustomize(isoPath, {
          ...commonCustomizeOptions(o),
          liveKargAppend: o.liveKargAppend ?? [],
          liveKargDelete: o.liveKargDelete ?? [],
          liveKargReplace: o.liveKargReplace ?? [],
          force: o.force === true,
          ...(o.output ? { output: o.output } : {}),
        });
        reportCustomize(result);
        process.exitCode = 0;
      },
    );
}
