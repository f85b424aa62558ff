#!/bin/sh
# Installed disk, after Ignition's files stage: remove /boot/ignition.firstboot (GRUB adds ignition.firstboot while
# it exists) and the config, so Ignition runs exactly once.
set -eu
dev=/dev/disk/by-label/boot
[ -e "$dev" ] || exit 0
mkdir -p /run/day0-boot
mount -o rw "$dev" /run/day0-boot
rm -f /run/day0-boot/ignition.firstboot
rm -rf /run/day0-boot/ignition
umount /run/day0-boot
echo "day0: first boot complete" >&2
