// Write an IBM Z cdboot.img from its plan (src/s390x/cdboot.ts): the kernel copied and its parameter area patched,
// the initramfs streamed in at its offset, zeros (a sparse tail) up to the end of the Ignition area.
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { checkS390Kernel, S390_PARM, CDBOOT_CMDLINE_SIZE, type CdbootLayout } from './cdboot.js';

export async function writeCdbootImage(out: string, s: { kernel: string; initramfs: string; layout: CdbootLayout; parm: { offset: number; bytes: Buffer }[] }): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await copyFile(s.kernel, out);
  const fh = await open(out, 'r+');
  try {
    const head = Buffer.alloc(S390_PARM.commandLine + CDBOOT_CMDLINE_SIZE);
    await fh.read(head, 0, head.length, 0);
    checkS390Kernel(head);
    for (const p of s.parm) await fh.write(p.bytes, 0, p.bytes.length, p.offset);
    // Zeros (a hole) from the kernel's end to the end of the Ignition area; the initramfs goes in between.
    await fh.truncate(s.layout.totalSize);
  } finally {
    await fh.close();
  }
  await pipeline(createReadStream(s.initramfs, { highWaterMark: 1 << 20 }), createWriteStream(out, { flags: 'r+', start: s.layout.initrdOffset }));
}
