// Putting large inputs into a staging tree without copying them when the filesystem allows it.
import { constants } from 'node:fs';
import { copyFile, link, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Hard link, else reflink/copy. The source must never be modified afterwards (cache files never are). */
export async function placeFile(src: string, dst: string): Promise<void> {
  await mkdir(dirname(dst), { recursive: true });
  try {
    await link(src, dst);
  } catch {
    await copyFile(src, dst, constants.COPYFILE_FICLONE);
  }
}

export async function writeText(dst: string, text: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(dst), { recursive: true });
  await writeFile(dst, text, { mode });
}
