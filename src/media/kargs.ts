// Kernel command lines for each medium, from the platform profile. Pure.
import type { Profile } from '../profiles/schema.js';

export interface LiveKargsOptions {
  /** ISO volume label (ISO boots only): the live initramfs finds its root image on the device with this label. */
  isoLabel?: string;
  append?: string[];
  delete?: string[];
}

/** Live (ISO/PXE) kernel arguments: profile args, first-boot Ignition on metal, the ISO label. */
export function liveKargs(p: Profile, o: LiveKargsOptions = {}): string {
  const args = [...(o.isoLabel ? [`coreos.liveiso=${o.isoLabel}`] : []), ...p.kernel.live_args, ...p.kernel.args];
  return editKargs(args, o.append ?? [], o.delete ?? []).join(' ');
}

/** Append then delete, as coreos-installer's --live-karg-append/--live-karg-delete do (delete: exact match). */
export function editKargs(args: string[], append: string[], del: string[]): string[] {
  const out = [...args, ...append];
  return out.filter((a) => !del.includes(a));
}
