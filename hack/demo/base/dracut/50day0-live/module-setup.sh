#!/bin/bash
# day0 demo: live boot the CoreOS way. The root filesystem image is either /root.squashfs (or /root.erofs) in the
# initramfs, unpacked there from an appended rootfs.img cpio (PXE), or the first member of images/pxeboot/rootfs.img
# on the ISO whose volume label coreos.liveiso=<label> names. It is mounted read-only under a tmpfs-backed overlay.
check() { return 0; }
depends() { echo systemd; }
installkernel() { hostonly='' instmods squashfs erofs overlay loop isofs sr_mod cdrom; }
install() {
    inst_multiple mount umount head tail dd sed grep sleep mkdir blkid
    inst_script "$moddir/is-live-image.sh" /usr/bin/is-live-image
    inst_script "$moddir/day0-live-root.sh" /usr/sbin/day0-live-root
    inst_script "$moddir/day0-live-generator.sh" "$systemdutildir/system-generators/day0-live-generator"
    inst_simple "$moddir/day0-live-root.service" "$systemdsystemunitdir/day0-live-root.service"
    inst_hook cmdline 90 "$moddir/parse-day0-live.sh"
}
