// `day0 inspect REF`: resolve, pull, unpack and check a layered OS image; print what a build would start from.
import { InvalidArgumentError, type Command } from 'commander';
import { ACCEPTED_FORMS } from '../../image/ref.js';
import { defaultArch, knownArches } from '../../profiles/platforms.js';

/** `--tls-verify=false`, `--tls-verify false`, `--tls-verify` (= true), as podman and skopeo take it. */
export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}

interface InspectFlags {
  arch?: string;
  authfile?: string;
  tlsVerify: boolean;
  kernel?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('resolve, pull, verify and unpack a layered OS image, check its boot contract, and print what is in it')
    .argument('<ref>', `image reference: ${ACCEPTED_FORMS.join(' | ')}`)
    .option('--arch <arch>', `architecture to select from a multi-arch image (${knownArches().join(', ')}; default: this host's)`)
    .option('--authfile <file>', 'registry auth file (podman auth.json or pull secret); default: REGISTRY_AUTH_FILE, then podman\'s locations')
    .option('--tls-verify [bool]', 'verify the registry\'s TLS certificate; --tls-verify=false for a plain-HTTP registry', parseBool, true)
    .option('--kernel <version>', 'kernel to use when the image has several (/usr/lib/modules/<version>)')
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress messages on stderr')
    .addHelpText('after', `
Examples:
  day0 inspect --tls-verify=false localhost:5000/day0/demo-layered:latest
  day0 inspect --arch aarch64 --authfile pull-secret.json quay.io/org/os:stable
  day0 inspect oci-archive:demo-layered.oci.tar --json`)
    .action(async (ref: string, flags: InspectFlags) => {
      // Loaded here, not at the top: registering the command must stay cheap (start-up time).
      const [{ loadConfig }, { makeExecutor }, { formatInspect, inspectImage }, { normalizeArch }] = await Promise.all([
        import('../../config/config.js'),
        import('../../executor/index.js'),
        import('../../image/intake.js'),
        import('../../profiles/load.js'),
      ]);
      const cfg = loadConfig();
      const exec = makeExecutor(cfg);
      const arch = normalizeArch(flags.arch ?? defaultArch());
      const report = await inspectImage({ exec }, ref, {
        arch,
        tlsVerify: flags.tlsVerify !== false,
        ...(flags.authfile ? { authfile: flags.authfile } : {}),
        ...(flags.kernel ? { kernel: flags.kernel } : {}),
        ...(flags.quiet || flags.json ? {} : { onProgress: (m: string) => process.stderr.write(`day0: ${m}\n`) }),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
    });
}
