// QEMU command lines for booting a medium as the platform profile says. Pure: the profile and the medium in,
// argv out, so every platform's boot is visible in one place and unit-tested over every profile.
import { bootMode } from '../profiles/boot.js';
import type { BootModeName, Profile } from '../profiles/schema.js';

export type Firmware = BootModeName;
export type Accel = 'kvm' | 'tcg';

export type BootMedium =
  | { kind: 'kernel'; kernel: string; initrd: string; append: string }
  | { kind: 'iso'; path: string }
  | { kind: 'disk'; path: string; format: 'raw' | 'qcow2' | 'vmdk' | 'vpc'; sectorSize?: 512 | 4096 }
  /**
   * Network boot through the boot mode's netboot path; `bootUrl` is handed out by QEMU's DHCP (http:// or a TFTP
   * name); `httpRoot` is served on port 80 of QEMU's host address 10.0.2.2 (see the runner).
   */
  | { kind: 'netboot'; bootUrl: string; tftpRoot?: string; httpRoot?: string };

export interface QemuPlan {
  profile: Profile;
  medium: BootMedium;
  firmware: Firmware;
  accel: Accel;
  /** Private, writable copy of the UEFI vars file (pflash firmware only). */
  uefiVars?: string;
  /** Ignition config for a `qemu` platform guest, handed over as the profile's `qemu.ignition` says. */
  platformIgnition?: string;
  memoryMib?: number;
  /** File holding the SeaBIOS serial port as a little-endian u16 (see `serconBytes`). */
  serconFile?: string;
  /** A further disk that is not booted (an install target): raw, sparse, zeroes and discards kept sparse. */
  targetDisk?: { path: string; sectorSize: 512 | 4096 };
}

/** SeaBIOS reads etc/sercon-port as a binary little-endian integer. */
export function serconBytes(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}

export function qemuArgv(plan: QemuPlan): string[] {
  const { profile: p, medium: m } = plan;
  const q = p.qemu;
  const mode = bootMode(p, plan.firmware);
  const argv = [q.binary, '-machine', `${q.machine},accel=${plan.accel}`];
  argv.push('-cpu', plan.accel === 'kvm' ? q.cpu_kvm : q.cpu_tcg);
  argv.push('-m', String(plan.memoryMib ?? q.memory_mib), '-smp', String(q.smp));
  // The first serial port is the guest's console on every machine (16550, PL011, spapr-vty, SCLP).
  argv.push('-nodefaults', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot');
  if (q.rng) argv.push('-device', q.rng);

  const fw = mode.firmware;
  if (fw.load === 'pflash') {
    if (!plan.uefiVars) throw new Error('pflash firmware needs a private copy of the vars file');
    argv.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${fw.code}`);
    argv.push('-drive', `if=pflash,format=raw,unit=1,file=${plan.uefiVars}`);
  } else if (fw.load === 'bios') {
    argv.push('-bios', fw.code!);
    // SeaBIOS mirrors its and option ROMs' (iPXE's) screen to the serial port, so firmware verdicts reach the console.
    if (fw.serial_port && plan.serconFile) argv.push('-fw_cfg', `name=etc/sercon-port,file=${plan.serconFile}`);
  }

  switch (m.kind) {
    case 'kernel':
      argv.push('-kernel', m.kernel, '-initrd', m.initrd, '-append', m.append);
      break;
    case 'iso':
      if (q.cdrom.controller) argv.push('-device', `${q.cdrom.controller},id=cdctl0`);
      argv.push('-drive', `if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=${m.path}`);
      argv.push('-device', `${q.cdrom.device},drive=cd0,bootindex=0${q.cdrom.controller ? ',bus=cdctl0.0' : ''}`);
      break;
    case 'disk': {
      const ss = m.sectorSize ?? 512;
      argv.push('-drive', `if=none,id=disk0,format=${m.format},file=${m.path}`);
      argv.push('-device', `${q.disk},drive=disk0,bootindex=0,logical_block_size=${ss},physical_block_size=${ss}`);
      break;
    }
    case 'netboot': {
      const nb = mode.netboot;
      if (!nb) throw new Error(`the ${mode.name} boot mode of ${p.arch} has no network boot`);
      argv.push('-netdev', `user,id=net0${m.tftpRoot ? `,tftp=${m.tftpRoot}` : ''},bootfile=${m.bootUrl}`);
      argv.push('-device', `${nb.device},netdev=net0,bootindex=0${nb.kind === 'ipxe-rom' ? `,romfile=${nb.rom}` : ''}`);
      break;
    }
  }
  if (m.kind !== 'netboot') {
    // A NIC without option ROM: networking for the guest, but no firmware network boot attempt.
    argv.push('-netdev', 'user,id=net0', '-device', `${q.nic},netdev=net0${q.nic_romfile ? ',romfile=' : ''}`);
  }
  if (plan.targetDisk) {
    const t = plan.targetDisk;
    argv.push('-drive', `if=none,id=target0,format=raw,discard=unmap,detect-zeroes=unmap,file=${t.path}`);
    argv.push('-device', `${q.disk},drive=target0,logical_block_size=${t.sectorSize},physical_block_size=${t.sectorSize}`);
  }
  if (plan.platformIgnition) {
    if (q.ignition === 'fw_cfg') argv.push('-fw_cfg', `name=opt/com.coreos/config,file=${plan.platformIgnition}`);
    else {
      // kola's way on ppc64le/s390x: a read-only virtio-blk disk with serial "ignition" holding the config.
      argv.push('-drive', `if=none,id=ign0,format=raw,readonly=on,file=${plan.platformIgnition}`);
      argv.push('-device', `${q.disk},drive=ign0,serial=ignition`);
    }
  }
  return argv;
}
