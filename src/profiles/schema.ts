// The shape of profiles/<arch>.toml: per-platform facts, validated so that a typo fails loudly at load time.
import { z } from 'zod';

export const ARCHES = ['x86_64', 'aarch64', 'ppc64le', 's390x'] as const;
export type Arch = (typeof ARCHES)[number];

const guid = z
  .string()
  .regex(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/, 'must be a GUID');

export const PartitionSchema = z
  .object({
    name: z.string().min(1).max(36),
    type: guid,
    size_mib: z.number().int().nonnegative(),
    filesystem: z.enum(['vfat', 'ext4', 'xfs']).optional(),
    label: z.string().min(1).optional(),
    mountpoint: z.string().startsWith('/').optional(),
  })
  .strict();
export type Partition = z.infer<typeof PartitionSchema>;

const FirmwareSchema = z
  .object({
    kind: z.enum(['seabios', 'ovmf', 'aavmf', 'slof', 's390-ccw']),
    code: z.string().startsWith('/'),
    vars: z.string().startsWith('/').optional(),
    /** SeaBIOS: I/O port to mirror its screen to (so "No bootable device" reaches the serial console). */
    serial_port: z.number().int().positive().optional(),
  })
  .strict();

export const ProfileSchema = z
  .object({
    arch: z.enum(ARCHES),
    oci_arch: z.string(),
    deb_arch: z.string(),
    kernel: z
      .object({
        console: z.array(z.string()).min(1),
        args: z.array(z.string()),
        live_args: z.array(z.string()),
        disk_args: z.array(z.string()),
      })
      .strict(),
    qemu: z
      .object({
        binary: z.string(),
        machine: z.string(),
        cpu_tcg: z.string(),
        cpu_kvm: z.string(),
        memory_mib: z.number().int().min(256),
        smp: z.number().int().min(1),
        console_device: z.string(),
        disk_bus: z.string(),
        cdrom: z.string(),
        net_device: z.string(),
        ignition: z.enum(['fw_cfg', 'virtio-blk']),
        netboot_device: z.string(),
        ipxe_rom_bios: z.string().startsWith('/').optional(),
        ipxe_rom_uefi: z.string().startsWith('/').optional(),
      })
      .strict(),
    firmware: z
      .object({ bios: FirmwareSchema.optional(), uefi: FirmwareSchema.optional() })
      .strict()
      .refine((f) => f.bios || f.uefi, 'at least one firmware (bios or uefi) is required'),
    bootloader: z
      .object({
        firmwares: z.array(z.enum(['bios', 'uefi'])).min(1),
        grub_bios_target: z.string().optional(),
        grub_efi_target: z.string().optional(),
        efi_boot_file: z.string().optional(),
        iso_bios: z.enum(['isolinux', 'grub']).optional(),
        packages: z.array(z.string()),
      })
      .strict(),
    disk: z
      .object({
        table: z.enum(['gpt', 'dos']),
        default_size_mib: z.number().int().positive(),
        sector_sizes: z.array(z.union([z.literal(512), z.literal(4096)])).min(1),
        partitions: z.array(PartitionSchema).min(1),
      })
      .strict()
      .refine((d) => d.partitions.filter((p) => p.size_mib === 0).length <= 1, { message: 'only one partition may take the rest of the disk (size_mib = 0)', path: ['partitions'] })
      .refine((d) => d.partitions.some((p) => p.mountpoint === '/'), 'one partition must be mounted at /'),
    live: z
      .object({
        iso_volume_prefix: z.string().regex(/^[A-Za-z0-9_-]+$/),
        ignition_area_size: z.number().int().positive().multipleOf(512),
        kargs_area_size: z.number().int().positive().max(2048),
      })
      .strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const f of p.bootloader.firmwares) {
      if (p.firmware[f] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['firmware', f], message: `bootloader.firmwares lists "${f}" but there is no [firmware.${f}] table` });
      }
    }
  });

export type Profile = z.infer<typeof ProfileSchema>;
