// Boots at once from the host's capacity: cores over the guests' vCPUs, free memory over their memory.
import { describe, expect, it } from 'vitest';
import { capacityJobs, QEMU_OVERHEAD_MIB } from '../../../src/checkboot/schedule.js';
import { EACH_PROFILE } from '../../helpers/profiles.js';

const guests = (n: number, smp = 2, memoryMib = 2048) => Array.from({ length: n }, () => ({ smp, memoryMib }));

describe('capacityJobs', () => {
  it('a 2-core host feeds one 2-vCPU guest at a time, whatever its memory', () => {
    expect(capacityJobs({ cores: 2, freeMib: 23_000, totalMib: 24_000, guests: guests(8) })).toMatchObject({ jobs: 1 });
    expect(capacityJobs({ cores: 2, freeMib: 23_000, totalMib: 24_000, guests: guests(8) }).reason).toMatch(/2 cores \/ 2 vCPUs per guest.*limited by cores/);
  });

  it('many cores: limited by free memory (guest memory + QEMU overhead, after the host reserve)', () => {
    const s = capacityJobs({ cores: 32, freeMib: 12_000, totalMib: 16_000, guests: guests(18) });
    // 12000 - 1600 reserve = 10400 usable / (2048 + overhead)
    expect(s.jobs).toBe(Math.floor(10_400 / (2048 + QEMU_OVERHEAD_MIB)));
    expect(s.reason).toMatch(/limited by memory/);
  });

  it('never more than the boots, never fewer than one; the largest guest decides', () => {
    expect(capacityJobs({ cores: 64, freeMib: 200_000, totalMib: 256_000, guests: guests(3) }).jobs).toBe(3);
    expect(capacityJobs({ cores: 1, freeMib: 500, totalMib: 1000, guests: guests(4) }).jobs).toBe(1);
    expect(capacityJobs({ cores: 8, freeMib: 100_000, totalMib: 128_000, guests: [...guests(5, 1), { smp: 4, memoryMib: 4096 }] }).jobs).toBe(2);
    expect(capacityJobs({ cores: 8, freeMib: 100_000, totalMib: 128_000, guests: [] }).jobs).toBe(1);
  });

  it('reads every profile: its smp and memory give a 2-core host one boot at a time', () => {
    for (const [, p] of EACH_PROFILE) {
      expect(capacityJobs({ cores: 2, freeMib: 20_000, totalMib: 24_000, guests: guests(6, p.qemu.smp, p.qemu.memory_mib) }).jobs).toBe(Math.max(1, Math.floor(2 / p.qemu.smp)));
    }
  });
});
