// QEMU command lines for booting a medium as the platform profile says. Pure: the profile and the medium in,
// argv out, so every platform's boot is visible in one place and unit-tested.
import type { Profile } from '../profiles/schema.js';

export type Firmware = 'bios' | 'uefi';
export type Accel = 'kvm' | 'tcg';

export type BootMedium =
  | { kind: 'kernel'; kernel: string; initrd: string; append: string }
  | { kind: 'iso'; path: string }
  | { kind: 'disk'; path: string; format: 'raw' | 'qcow2' | 'vmdk' | 'vpc'; sectorSize?: 512 | 4096 }
  /** Network boot through the NIC's iPXE ROM; `bootUrl` is handed out by QEMU's DHCP (http:// or a TFTP name). */
  | { kind: 'netboot'; bootUrl: string; tftpRoot?: string };

export interface QemuPlan {
  profile: Profile;
  medium: BootMedium;
  firmware: Firmware;
  accel: Accel;
  /** Private, writable copy of the UEFI vars file (uefi only). */
  uefiVars?: string;
  /** Ignition config handed over through fw_cfg (the qemu platform). */
  fwCfgIgnition?: string;
  memoryMib?: number;
  /** File holding the SeaBIOS serial port as a little-endian u16 (see `serconBytes`). */
  serconFile?: string;
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
  const argv = [q.binary, '-machine', `${q.machine},accel=${plan.accel}`];
  argv.push('-cpu', plan.accel === 'kvm' ? q.cpu_kvm : q.cpu_tcg);
  argv.push('-m', String(plan.memoryMib ?? q.memory_mib), '-smp', String(q.smp));
  argv.push('-nodefaults', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot');
  argv.push('-device', 'virtio-rng-pci');

  const fw = p.firmware[plan.firmware];
  if (!fw) throw new Error(`profile ${p.arch} has no ${plan.firmware} firmware`);
  if (plan.firmware === 'uefi') {
    if (!plan.uefiVars) throw new Error('uefi boot needs a private copy of the vars file');
    argv.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${fw.code}`);
    argv.push('-drive', `if=pflash,format=raw,unit=1,file=${plan.uefiVars}`);
  } else {
    argv.push('-bios', fw.code);
    // SeaBIOS mirrors its and option ROMs' (iPXE's) screen to the serial port, so firmware verdicts reach the console.
    if (fw.kind === 'seabios' && plan.serconFile) argv.push('-fw_cfg', `name=etc/sercon-port,file=${plan.serconFile}`);
  }

  switch (m.kind) {
    case 'kernel':
      argv.push('-kernel', m.kernel, '-initrd', m.initrd, '-append', m.append);
      break;
    case 'iso':
      argv.push('-drive', `if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=${m.path}`);
      argv.push('-device', `${q.cdrom},drive=cd0,bootindex=0`);
      break;
    case 'disk': {
      const ss = m.sectorSize ?? 512;
      argv.push('-drive', `if=none,id=disk0,format=${m.format},file=${m.path}`);
      argv.push('-device', `${q.disk_bus},drive=disk0,bootindex=0,logical_block_size=${ss},physical_block_size=${ss}`);
      break;
    }
    case 'netboot': {
      const rom = plan.firmware === 'uefi' ? q.ipxe_rom_uefi : q.ipxe_rom_bios;
      argv.push('-netdev', `user,id=net0${m.tftpRoot ? `,tftp=${m.tftpRoot}` : ''},bootfile=${m.bootUrl}`);
      argv.push('-device', `${q.netboot_device},netdev=net0,bootindex=0${rom ? `,romfile=${rom}` : ''}`);
      break;
    }
  }
  if (m.kind !== 'netboot') {
    argv.push('-netdev', 'user,id=net0', '-device', `${q.net_device},netdev=net0,romfile=`);
  }
  if (plan.fwCfgIgnition) argv.push('-fw_cfg', `name=opt/com.coreos/config,file=${plan.fwCfgIgnition}`);
  return argv;
}
