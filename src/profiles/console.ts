// Serial consoles as kernels name them (ttyS0,115200n8 · ttyAMA0 · hvc0 · ttysclp0): one typed parser used for the
// kernel arguments, the GRUB configuration and the boot-check reader.

export type ConsoleKind = 'ns16550' | 'pl011' | 'hvc' | 'sclp';

export interface Console {
  /** Kernel device name, e.g. ttyS0. */
  device: string;
  kind: ConsoleKind;
  /** Port index for UARTs (ttyS<n>, ttyAMA<n>). */
  index: number;
  /** Line options as given ("115200n8"), if any. */
  options?: string;
  speed?: number;
}

const KINDS: [RegExp, ConsoleKind][] = [
  [/^ttyS(\d+)$/, 'ns16550'],
  [/^ttyAMA(\d+)$/, 'pl011'],
  [/^hvc(\d+)$/, 'hvc'],
  [/^ttysclp(\d+)$/, 'sclp'],
];

export function parseConsole(spec: string): Console {
  const [device = '', options] = spec.split(',', 2);
  for (const [re, kind] of KINDS) {
    const m = re.exec(device);
    if (!m) continue;
    const speed = options ? Number.parseInt(options, 10) : undefined;
    return { device, kind, index: Number(m[1]), ...(options ? { options } : {}), ...(speed && Number.isFinite(speed) ? { speed } : {}) };
  }
  throw new Error(`unknown console "${spec}": expected ttyS<n>[,opts], ttyAMA<n>[,opts], hvc<n> or ttysclp<n>`);
}

/** `console=` kernel argument for a console. */
export function consoleKarg(c: Console): string {
  return `console=${c.device}${c.options ? `,${c.options}` : ''}`;
}

/**
 * GRUB terminal setup for the console: a 16550 UART gets GRUB's `serial` driver; the others are reached through the
 * firmware console (UEFI/Open Firmware/s390 console), which GRUB's `console` terminal uses.
 */
export function grubTerminal(c: Console): string[] {
  if (c.kind === 'ns16550') {
    return [`serial --unit=${c.index} --speed=${c.speed ?? 115200}`, 'terminal_input serial console', 'terminal_output serial console'];
  }
  return ['terminal_input console', 'terminal_output console'];
}

/** The console boot checks read: the last one given is /dev/console. */
export function primaryConsole(devices: string[]): Console {
  const last = devices[devices.length - 1];
  if (!last) throw new Error('a profile needs at least one console');
  return parseConsole(last);
}
