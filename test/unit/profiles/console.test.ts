// The one typed console parser (ttyS0,115200n8 · ttyAMA0 · hvc0 · ttysclp0), used by GRUB configs, kernel arguments
// and the boot-check reader; run over every profile's consoles too.
import { describe, expect, it } from 'vitest';
import { consoleKarg, grubTerminal, parseConsole, primaryConsole } from '../../../src/profiles/console.js';
import { EACH_PROFILE } from '../../helpers/profiles.js';

describe('parseConsole', () => {
  it.each([
    ['ttyS0,115200n8', { device: 'ttyS0', kind: 'ns16550', index: 0, options: '115200n8', speed: 115200 }],
    ['ttyS1', { device: 'ttyS1', kind: 'ns16550', index: 1 }],
    ['ttyS3,9600', { device: 'ttyS3', kind: 'ns16550', index: 3, options: '9600', speed: 9600 }],
    ['ttyAMA0', { device: 'ttyAMA0', kind: 'pl011', index: 0 }],
    ['ttyAMA0,115200n8', { device: 'ttyAMA0', kind: 'pl011', index: 0, options: '115200n8', speed: 115200 }],
    ['hvc0', { device: 'hvc0', kind: 'hvc', index: 0 }],
    ['hvc1', { device: 'hvc1', kind: 'hvc', index: 1 }],
    ['ttysclp0', { device: 'ttysclp0', kind: 'sclp', index: 0 }],
  ])('%s', (spec, want) => {
    expect(parseConsole(spec)).toEqual(want);
  });

  it.each(['tty0', 'ttyUSB0', 'ttys0', 'ttyS', 'ttyAMA', 'hvc', 'sclp0', 'TTYS0', '', 'ttyS0x', ' ttyS0', 'console=ttyS0'])('refuses %j', (spec) => {
    expect(() => parseConsole(spec)).toThrow(/unknown console/);
  });

  it('the refusal lists the forms it knows', () => {
    expect(() => parseConsole('ttyUSB0')).toThrow(/ttyS<n>.*ttyAMA<n>.*hvc<n>.*ttysclp<n>/);
  });

  it('options without a speed keep the options and no speed', () => {
    expect(parseConsole('ttyS0,n8')).toEqual({ device: 'ttyS0', kind: 'ns16550', index: 0, options: 'n8' });
  });
});

describe('console= kernel argument', () => {
  it.each([
    ['ttyS0,115200n8', 'console=ttyS0,115200n8'],
    ['ttyAMA0', 'console=ttyAMA0'],
    ['ttyAMA0,115200n8', 'console=ttyAMA0,115200n8'],
    ['hvc0', 'console=hvc0'],
    ['ttysclp0', 'console=ttysclp0'],
  ])('%s → %s', (spec, karg) => {
    expect(consoleKarg(parseConsole(spec))).toBe(karg);
  });
});

describe('GRUB terminal', () => {
  it('a 16550 UART gets GRUB serial with its unit and speed', () => {
    expect(grubTerminal(parseConsole('ttyS0,115200n8'))).toEqual(['serial --unit=0 --speed=115200', 'terminal_input serial console', 'terminal_output serial console']);
    expect(grubTerminal(parseConsole('ttyS1,9600'))).toEqual(['serial --unit=1 --speed=9600', 'terminal_input serial console', 'terminal_output serial console']);
    expect(grubTerminal(parseConsole('ttyS2'))[0]).toBe('serial --unit=2 --speed=115200');
  });

  it.each(['ttyAMA0', 'hvc0', 'ttysclp0'])('%s goes through the firmware console (no GRUB serial)', (spec) => {
    const t = grubTerminal(parseConsole(spec));
    expect(t).toEqual(['terminal_input console', 'terminal_output console']);
    expect(t.join('\n')).not.toContain('serial');
  });
});

describe('primaryConsole', () => {
  it('is the last device (the kernel makes it /dev/console)', () => {
    expect(primaryConsole(['ttyS0,115200n8', 'ttyAMA0']).device).toBe('ttyAMA0');
    expect(primaryConsole(['hvc0']).kind).toBe('hvc');
  });

  it('needs one', () => {
    expect(() => primaryConsole([])).toThrow(/at least one console/);
  });

  it.each(EACH_PROFILE)('%s: every console device parses, and kernel.args names each of them', (_arch, p) => {
    for (const d of p.console.devices) {
      const c = parseConsole(d);
      expect(p.kernel.args).toContain(consoleKarg(c));
    }
    expect(primaryConsole(p.console.devices).device).toMatch(/^(ttyS|ttyAMA|hvc|ttysclp)\d+$/);
  });
});
