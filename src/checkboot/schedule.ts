// How many boots to run at once: as many as the host can feed, no more. Each guest keeps `smp` vCPU threads busy
// (under TCG a vCPU is a host thread translating code) and needs its memory plus QEMU's own (TCG translation
// cache, device models). Pure: the host's figures in, the number and why out. `--jobs` overrides.

export interface GuestNeeds {
  smp: number;
  memoryMib: number;
}

export interface HostCapacity {
  /** Cores the process may use (os.availableParallelism()). */
  cores: number;
  /** Free memory now (os.freemem()), MiB. */
  freeMib: number;
  /** All memory (os.totalmem()), MiB. */
  totalMib: number;
  /** One entry per boot to run (the cell's profile's qemu.smp and qemu.memory_mib). */
  guests: GuestNeeds[];
}

export interface Schedule {
  jobs: number;
  /** e.g. "2 cores / 2 vCPUs per guest; 22.9 GiB free / 2.5 GiB per guest" or "--jobs". */
  reason: string;
}

/** QEMU's own memory beside the guest's (TCG translation cache, device models), MiB. */
export const QEMU_OVERHEAD_MIB = 512;
/** Memory left to the host and day0 itself: the larger of this and a tenth of all memory, MiB. */
export const HOST_RESERVE_MIB = 1024;

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

/**
 * Boots at once: limited by cores (the largest guest's smp: a 2-core host feeds one 2-vCPU guest) and by free
 * memory (the largest guest's memory plus QEMU's overhead, after the host's reserve); at least 1, at most the
 * number of boots.
 */
export function capacityJobs(h: HostCapacity): Schedule {
  const n = h.guests.length;
  if (n === 0) return { jobs: 1, reason: 'no boots' };
  const smp = Math.max(1, ...h.guests.map((g) => g.smp));
  const perGuest = Math.max(...h.guests.map((g) => g.memoryMib)) + QEMU_OVERHEAD_MIB;
  const usable = Math.max(0, h.freeMib - Math.max(HOST_RESERVE_MIB, h.totalMib / 10));
  const byCores = Math.floor(Math.max(1, h.cores) / smp);
  const byMemory = Math.floor(usable / perGuest);
  const jobs = Math.max(1, Math.min(n, byCores, byMemory));
  const limit = Math.min(byCores, byMemory) >= n ? `${n} boot${n === 1 ? '' : 's'} in all` : byCores <= byMemory ? 'cores' : 'memory';
  return {
    jobs,
    reason: `${h.cores} core${h.cores === 1 ? '' : 's'} / ${smp} vCPU${smp === 1 ? '' : 's'} per guest; ${gib(h.freeMib)} free / ${gib(perGuest)} per guest (limited by ${limit})`,
  };
}
