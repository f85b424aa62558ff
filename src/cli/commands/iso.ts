// `day0 iso …`: the live ISO's embed areas, with coreos-installer's command and flag names.
import type { Command } from 'commander';
import type { KargsEdit } from '../../formats/embed-areas.js';
import type { CommonCustomizeOptions, CustomizeResult } from '../../live/customize.js';

// The implementations are loaded in each action, not here: registering a command must stay cheap (start-up time).
const isoEmbed = () => import('../../live/iso-embed.js');
const customize = () => import('../../live/customize.js');

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
    .option('--dest-console <spec>', 'kernel and GRUB console for the installed system, e.g. ttyS0,115200n8 (repeatable)', collect)
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
    ...(o.destConsole?.length ? { destConsole: o.destConsole } : {}),
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

const outputOption = ['-o, --output <path>', 'write a modified copy here instead of modifying the ISO in place (refused if it exists, unless -f)'] as const;
const forceOutputOption = ['-f, --force', 'with -o: replace the output file if it exists'] as const;

export function registerIsoCommands(program: Command): void {
  const iso = program
    .command('iso')
    .description('inspect and customize a live ISO: embedded Ignition config and kernel arguments (coreos-installer compatible)');

  const ignition = iso.command('ignition').description('embed, show or remove the live Ignition config');

  ignition
    .command('embed')
    .description('embed an Ignition config in the live ISO (read from stdin without -i)')
    .option('-f, --force', 'overwrite an existing embedded config (and, with -o, an existing output file)')
    .option('-i, --ignition-file <path>', 'Ignition config to embed (default: stdin)')
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { force?: boolean; ignitionFile?: string; output?: string }) => {
      const [{ readFileOrStdin }, { embedIgnition }] = await Promise.all([customize(), isoEmbed()]);
      const config = await readFileOrStdin(o.ignitionFile, 'Ignition config');
      await embedIgnition(isoPath, config, { force: o.force === true, overwrite: o.force === true, ...(o.output ? { output: o.output } : {}) });
      process.exitCode = 0;
    });

  ignition
    .command('show')
    .description('print the embedded Ignition config')
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string) => {
      const { showIgnition } = await isoEmbed();
      await writeStdout(await showIgnition(isoPath));
      process.exitCode = 0;
    });

  ignition
    .command('remove')
    .description('remove the embedded Ignition config')
    .option(...outputOption)
    .option(...forceOutputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { output?: string; force?: boolean }) => {
      const { removeIgnition } = await isoEmbed();
      await removeIgnition(isoPath, { ...(o.output ? { output: o.output } : {}), overwrite: o.force === true });
      process.exitCode = 0;
    });

  const kargs = iso.command('kargs').description('show or change the live kernel arguments');

  kargs
    .command('show')
    .description('print the live kernel arguments')
    .option('-d, --default', 'print the default kernel arguments instead of the current ones')
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { default?: boolean }) => {
      const { showKargs } = await isoEmbed();
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
    .option(...forceOutputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { append?: string[]; delete?: string[]; replace?: string[]; output?: string; force?: boolean }) => {
      const edit: KargsEdit = { append: o.append ?? [], delete: o.delete ?? [], replace: o.replace ?? [] };
      const { modifyKargs } = await isoEmbed();
      await modifyKargs(isoPath, edit, { ...(o.output ? { output: o.output } : {}), overwrite: o.force === true });
      process.exitCode = 0;
    });

  kargs
    .command('reset')
    .description('restore the default live kernel arguments')
    .option(...outputOption)
    .option(...forceOutputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { output?: string; force?: boolean }) => {
      const { resetKargs } = await isoEmbed();
      await resetKargs(isoPath, { ...(o.output ? { output: o.output } : {}), overwrite: o.force === true });
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
    .option('-f, --force', 'replace an existing customization (and, with -o, an existing output file)')
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
        const { isoCustomize } = await customize();
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
  const network = iso.command('network').description('NetworkManager keyfiles embedded in the live ISO (etc/coreos-firstboot-network)');

  network
    .command('extract')
    .description('print the embedded NetworkManager keyfiles, or write them to a directory')
    .option('-C, --directory <dir>', 'write the keyfiles (mode 0600) into this directory instead of printing them')
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { directory?: string }) => {
      const { readNetworkKeyfiles } = await isoEmbed();
      const files = await readNetworkKeyfiles(isoPath);
      await writeNetworkKeyfiles(files, o.directory);
      process.exitCode = 0;
    });

  network
    .command('embed')
    .description('embed NetworkManager keyfiles for the live system\'s initramfs (and the installer\'s copy-network)')
    .requiredOption('-k, --keyfile <path>', 'NetworkManager keyfile (repeatable)', collect)
    .option('-f, --force', 'replace existing embedded keyfiles (and, with -o, an existing output file)')
    .option(...outputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { keyfile: string[]; force?: boolean; output?: string }) => {
      const [{ readInputFile }, { embedNetwork }] = await Promise.all([customize(), isoEmbed()]);
      const keyfiles = await Promise.all(o.keyfile.map(async (k) => ({ name: k, data: await readInputFile(k, 'NetworkManager keyfile') })));
      await embedNetwork(isoPath, keyfiles, { force: o.force === true, overwrite: o.force === true, ...(o.output ? { output: o.output } : {}) });
      process.exitCode = 0;
    });

  network
    .command('remove')
    .description('remove the embedded NetworkManager keyfiles')
    .option(...outputOption)
    .option(...forceOutputOption)
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { output?: string; force?: boolean }) => {
      const { removeNetwork } = await isoEmbed();
      await removeNetwork(isoPath, { ...(o.output ? { output: o.output } : {}), overwrite: o.force === true });
      process.exitCode = 0;
    });

  const extract = iso.command('extract').description('extract files from a live ISO (coreos-installer compatible)');

  extract
    .command('pxe')
    .description('extract the PXE kernel, initramfs and root filesystem (named <ISO name>-vmlinuz, -initrd.img, -rootfs.img)')
    .option('-o, --output-dir <dir>', 'output directory', '.')
    .option('-f, --force', 'replace existing output files')
    .argument('<iso>', 'live ISO image')
    .action(async (isoPath: string, o: { outputDir: string; force?: boolean }) => {
      const { extractPxe } = await import('../../live/extract.js');
      for (const p of await extractPxe(isoPath, o.outputDir, { force: o.force === true })) await writeStdout(`${p}\n`);
      process.exitCode = 0;
    });

  extract
    .command('minimal-iso')
    .description('rebuild the minimal ISO (no root filesystem; fetched by coreos.live.rootfs_url=) from coreos/miniso.dat')
    .option('--output-rootfs <path>', 'also extract the root filesystem image here')
    .option('--rootfs-url <url>', 'kernel argument coreos.live.rootfs_url= for the minimal ISO')
    .option('-f, --force', 'replace existing output files')
    .argument('<iso>', 'full live ISO image')
    .argument('<output>', 'minimal ISO to write')
    .action(async (isoPath: string, output: string, o: { outputRootfs?: string; rootfsUrl?: string; force?: boolean }) => {
      const { extractMinimalIso } = await import('../../live/extract.js');
      await extractMinimalIso(isoPath, output, {
        force: o.force === true,
        ...(o.rootfsUrl ? { rootfsUrl: o.rootfsUrl } : {}),
        ...(o.outputRootfs ? { outputRootfs: o.outputRootfs } : {}),
      });
      process.exitCode = 0;
    });
}

/**
 * Keyfiles as coreos-installer's `network extract` gives them: into DIR (created; files 0600, never replacing one,
 * each path printed), or on stdout, each after a "########## NAME ##########" line. None → "No embedded network settings."
 */
export async function writeNetworkKeyfiles(files: Map<string, Buffer>, directory: string | undefined): Promise<void> {
  const { Day0Error } = await import('../../util/errors.js');
  if (files.size === 0) {
    throw new Day0Error('No embedded network settings.', {
      fix: 'embed keyfiles with `day0 iso customize --network-keyfile FILE` (or coreos-installer iso network embed)',
    });
  }
  if (directory) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await mkdir(directory, { recursive: true });
    for (const [name, data] of files) {
      const path = join(directory, name);
      try {
        await writeFile(path, data, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new Day0Error(`${path}: File exists`, { fix: 'remove it or extract into another directory' });
        }
        throw err;
      }
      await writeStdout(`${path}\n`);
    }
    return;
  }
  let first = true;
  for (const [name, data] of files) {
    await writeStdout(`${first ? '' : '\n'}########## ${name} ##########\n`);
    await writeStdout(data);
    first = false;
  }
}
