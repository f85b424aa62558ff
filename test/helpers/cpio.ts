// Small newc archives for tests, made with day0's own (byte-level tested) cpio writer.
import { writeCpio, type CpioEntry } from '../../src/formats/cpio.js';

/** `mode` with type bits: 0o40755 makes a directory, else a file (default 0o100755). */
export function cpio(files: { name: string; data?: Buffer | string; mode?: number }[]): Buffer {
  const entries: CpioEntry[] = files.map((f) =>
    (f.mode ?? 0o100755) & 0o040000
      ? { type: 'dir', path: f.name, mode: (f.mode ?? 0o755) & 0o7777 }
      : { type: 'file', path: f.name, mode: (f.mode ?? 0o755) & 0o7777, data: Buffer.from(f.data ?? '') },
  );
  return writeCpio(entries);
}
