// The shape of profiles/<arch>.toml: per-platform facts, validated so that a typo fails loudly at load time.
// A platform is its profile: which boot modes it has (bios, uefi; ieee1275 and ccw for the next platforms), what
// each mode needs (firmware, bootloader, El Torito entry, disk bootloader stage, network boot), the disk layout,
// the QEMU machine and devices, the consoles, and how Ignition reaches a `qemu` platform guest. Code reads these
// typed values and never tests an arch name.
import { z } from 'zod';

/** An architecture is whatever a profile file declares (profiles/<arch>.toml); see src/profiles/platforms.ts. */
export type Arch = string;

export const BOOT_MODES = ['bios', 'uefi', 'ieee1275', 'ccw'] as const;
export type BootModeName = (typeof BOOT_MODES)[number];

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
    /** What this partition is for beyond its filesystem: GRUB's BIOS core image, the ESP, a PReP boot partition. */
    role: z.enum(['bios-boot', 'esp', 'prep']).optional(),
  })
  .strict();
export type Partition = z.infer<typeof PartitionSchema>;

const FirmwareSchema = z
  .object({
    kind: z.enum(['seabios', 'ovmf', 'aavmf', 'slof', 's390-ccw']),
    /** How QEMU gets it: `-bios FILE`, two pflash drives (code + a private vars copy), or the machine's default. */
    load: z.enum(['bios', 'pflash', 'default']),
    code: z.string().startsWith('/').optional(),
    vars: z.string().startsWith('/').optional(),
    /** SeaBIOS: I/O port to mirror its screen to (so "No bootable device" reaches the serial console). */
    serial_port: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.load !== 'default' && !f.code) ctx.addIssue({ code: 'custom', path: ['code'], message: `load = "${f.load}" needs code = "<firmware file>"` });
    if (f.load === 'pflash' && !f.vars) ctx.addIssue({ code: 'custom', path: ['vars'], message: 'load = "pflash" needs vars = "<vars template>" (copied per boot)' });
  });

const NetbootSchema = z.discriminatedUnion('kind', [
  /** The NIC's iPXE option ROM fetches the generated iPXE script over HTTP (QEMU's DHCP hands out its URL). */
  z.object({ kind: z.literal('ipxe-rom'), device: z.string(), rom: z.string().startsWith('/') }).strict(),
  /** The firmware's own PXE client loads a GRUB network image over TFTP, which reads the generated GRUB config. */
  z.object({
    kind: z.literal('grub-tftp'),
    device: z.string(),
    grub_file: z.string(),
    /** Modules the network image adds to the mode's: GRUB's network stack and the firmware's NIC driver (efinet, ofnet). */
    grub_modules: z.array(z.string()).min(1),
  }).strict(),
]);
export type Netboot = z.infer<typeof NetbootSchema>;

const BootModeSchema = z
  .object({
    firmware: FirmwareSchema,
    /** GRUB platform (`grub-mkimage -O`), modules from /usr/lib/grub/<target> in the builder. */
    grub_target: z.string().optional(),
    /** Modules built into the GRUB image (EFI binaries carry every module; there is no module dir on the ESP). */
    grub_modules: z.array(z.string()).default([]),
    /** EFI removable-media file name (EFI/BOOT/<file>). */
    efi_boot_file: z.string().regex(/^[A-Z0-9]+\.EFI$/).optional(),
    /**
     * How the live ISO boots in this mode: an isolinux El Torito entry (BIOS), an EFI FAT image entry, the CHRP
     * layout Open Firmware reads (ppc/bootinfo.txt naming a GRUB ELF; no El Torito), an IBM Z IPL image as the
     * El Torito no-emulation entry (images/cdboot.img: kernel + parmfile + initrd; src/s390x/cdboot.ts), or not at all.
     */
    iso: z.enum(['isolinux', 'efiboot', 'chrp', 'cdboot', 'none']),
    /**
     * The disk plan's bootloader stage for this mode: GRUB's BIOS boot.img + core.img (BIOS boot partition), GRUB's
     * core image in a PReP partition (Open Firmware loads it), EFI GRUB on the ESP, a zipl boot record (IBM Z: the
     * disk's first block points at a program table in the boot partition's bootmap; kernel arguments are baked in),
     * or none.
     */
    disk: z.enum(['grub2-bios', 'grub2-prep', 'grub2-efi', 'zipl', 'none']),
    /** Disk sector sizes this mode boots (CoreOS boots 4k-native disks through UEFI only). */
    sector_sizes: z.array(z.union([z.literal(512), z.literal(4096)])).min(1),
    netboot: NetbootSchema.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const needs = (cond: boolean, field: string, why: string) => { if (cond) ctx.addIssue({ code: 'custom', path: [field], message: why }); };
    needs((m.iso === 'efiboot' || m.disk === 'grub2-efi') && !m.efi_boot_file, 'efi_boot_file', 'an EFI boot mode needs efi_boot_file (e.g. "BOOTX64.EFI")');
    needs((m.iso === 'efiboot' || m.iso === 'chrp' || m.disk.startsWith('grub2-')) && !m.grub_target, 'grub_target', 'a GRUB boot mode needs grub_target (e.g. "x86_64-efi")');
  });
export type BootMode = z.infer<typeof BootModeSchema>;

const CdromSchema = z
  .object({
    /** Controller to add first (e.g. virtio-scsi-pci on machines without IDE); omit when the machine has one. */
    controller: z.string().optional(),
    device: z.string(),
  })
  .strict();

export const ProfileSchema = z
  .object({
    arch: z.string().regex(/^[a-z0-9_]+$/),
    /** Other spellings users type for this arch (OCI, Debian, uname). */
    aliases: z.array(z.string()).default([]),
    oci_arch: z.string(),
    /** Preferred OCI variant when an index offers several (arm64: v8). */
    oci_variant: z.string().optional(),
    deb_arch: z.string(),
    /** Node's process.arch on a host of this arch (for "is the guest the host's arch?"). */
    node_arch: z.string(),
    console: z
      .object({
        /** Serial consoles as the kernel names them; the last one is /dev/console (boot checks read it). */
        devices: z.array(z.string()).min(1),
      })
      .strict(),
    kernel: z
      .object({
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
        rng: z.string().optional(),
        disk: z.string(),
        cdrom: CdromSchema,
        nic: z.string(),
        /** Whether the NIC takes `romfile=` (PCI devices; channel-attached ones have no option ROM). */
        nic_romfile: z.boolean().default(true),
        /** How a `qemu` platform guest gets its Ignition config: fw_cfg, or a virtio-blk disk with serial "ignition". */
        ignition: z.enum(['fw_cfg', 'virtio-blk']),
        /** A tiny guest that answers over the serial port when KVM works (only where such a probe exists). */
        kvm_probe: z.enum(['x86-boot-sector']).optional(),
        /**
         * Kernel arguments a boot check adds under TCG (to its private copy of the medium, never to the shipped
         * one) so that the kernel's checks of emulated timers do not fail on a starved vCPU, e.g. no_timer_check
         * where the kernel has the IO-APIC timer check.
         */
        tcg_kargs: z.array(z.string().regex(/^\S+$/, 'one kernel argument, without spaces')).default([]),
        /**
         * Install boot checks: how the guest names the blank target disk day0 attaches (a `disk` device, the only
         * one of its kind), e.g. /dev/vda. Absent: no install cells on this platform.
         */
        install_target: z.string().regex(/^\/dev\/\S+$/, 'a device path, e.g. /dev/vda').optional(),
      })
      .strict(),
    /** Boot modes in order of preference; the first one boots media that need just one (PXE, qemu). */
    boot: z.partialRecord(z.enum(BOOT_MODES), BootModeSchema).refine((b) => Object.keys(b).length > 0, 'at least one [boot.<mode>] table is required'),
    builder: z
      .object({
        /** Debian packages (the builder's arch) this platform's media need. */
        packages: z.array(z.string()),
        /** Foreign-arch Debian packages whose files are unpacked into the builder (e.g. GRUB modules). */
        foreign_packages: z.array(z.string()).default([]),
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
        /**
         * Boot configs published beside the PXE artifacts: iPXE script, pxelinux and GRUB configs (firmware that
         * netboots), or an IBM Z parmfile (NAME-live.ARCH.prm: what z/VM punches with the kernel and initrd, or an
         * LPAR loads).
         */
        pxe_configs: z.array(z.enum(['ipxe', 'pxelinux', 'grub', 'parmfile'])).min(1).default(['ipxe', 'pxelinux', 'grub']),
      })
      .strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const [name, mode] of Object.entries(p.boot)) {
      if (mode.disk === 'grub2-bios' && !p.disk.partitions.some((x) => x.role === 'bios-boot')) {
        ctx.addIssue({ code: 'custom', path: ['boot', name, 'disk'], message: 'disk = "grub2-bios" needs a partition with role = "bios-boot"' });
      }
      if (mode.disk === 'grub2-prep' && !p.disk.partitions.some((x) => x.role === 'prep')) {
        ctx.addIssue({ code: 'custom', path: ['boot', name, 'disk'], message: 'disk = "grub2-prep" needs a partition with role = "prep"' });
      }
      if (mode.disk === 'zipl' && !p.disk.partitions.some((x) => x.mountpoint === '/boot' && x.filesystem)) {
        ctx.addIssue({ code: 'custom', path: ['boot', name, 'disk'], message: 'disk = "zipl" needs a partition mounted at /boot (zipl writes its bootmap there)' });
      }
      if (mode.disk === 'grub2-efi' && !p.disk.partitions.some((x) => x.role === 'esp')) {
        ctx.addIssue({ code: 'custom', path: ['boot', name, 'disk'], message: 'disk = "grub2-efi" needs a partition with role = "esp"' });
      }
      for (const s of mode.sector_sizes) {
        if (!p.disk.sector_sizes.includes(s)) ctx.addIssue({ code: 'custom', path: ['boot', name, 'sector_sizes'], message: `${s} is not in disk.sector_sizes` });
      }
    }
  });

export type Profile = z.infer<typeof ProfileSchema>;
