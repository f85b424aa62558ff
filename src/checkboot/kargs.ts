// Kernel command lines as text: what a boot check reads from a medium's config (iPXE script) and how it adds its
// arguments to one (a command line, iPXE `kernel` lines, GRUB `linux` lines). Pure.

/** The kernel command line an iPXE script gives (minus initrd= names). */
export function kargsFromIpxe(script: string): string | undefined {
  const line = script.split('\n').find((l) => l.startsWith('kernel '));
  return line?.split(/\s+/).slice(2).filter((a) => !a.startsWith('initrd=')).join(' ');
}

/** `line` (a kernel command line) with `args` appended, each unless already there as a whole argument. */
export function appendKargs(line: string, args: readonly string[]): string {
  const have = new Set(line.split(/\s+/).filter(Boolean));
  const add = args.filter((a) => !have.has(a));
  return add.length ? `${line.trimEnd()} ${add.join(' ')}` : line;
}

/** An iPXE script whose `kernel` lines carry `args` too. */
export function ipxeWithKargs(script: string, args: readonly string[]): string {
  return script.split('\n').map((l) => (l.startsWith('kernel ') ? appendKargs(l, args) : l)).join('\n');
}

/**
 * A GRUB config whose `linux`/`linuxefi` lines carry `args` too (before a trailing `${…}` variable such as
 * day0's `${ignition_firstboot}`, which stays last). Throws when there is no such line (nothing would be added).
 */
export function grubCfgWithKargs(cfg: string, args: readonly string[]): string {
  let found = false;
  const out = cfg.split('\n').map((l) => {
    const m = /^(\s*linux(?:efi|16)?\s+\S+.*?)(\s+\$\{[A-Za-z_][A-Za-z0-9_]*\})?\s*$/.exec(l);
    if (!m) return l;
    found = true;
    return `${appendKargs(m[1]!, args)}${m[2] ?? ''}`;
  });
  if (!found) throw new Error('the GRUB config has no linux line to add kernel arguments to');
  return out.join('\n');
}
