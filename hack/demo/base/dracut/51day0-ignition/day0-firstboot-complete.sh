#!/bin/sh
# Installed disk, after Ignition's files stage succeeded (the unit requires it): remove /boot/ignition.firstboot
# (GRUB adds ignition.firstboot while it exists) and the config, so Ignition runs exactly once. Refuses when the
# boot partition carries a config that was not handed to Ignition.
set -eu
dev=/dev/disk/by-label/boot
[ -e "$dev" ] || { echo "day0: first boot not marked done: no partition labelled boot" >&2; exit 1; }
mkdir -p /run/day0-boot
mount -o rw "$dev" /run/day0-boot
if [ -e /run/day0-boot/ignition/config.ign ] && [ "$(cat /run/day0/config-source 2>/dev/null)" != boot-partition ]; then
    umount /run/day0-boot
    echo "day0: the boot partition has a config Ignition did not get: first boot not marked done" >&2
    exit 1
fi
rm -f /run/day0-boot/ignition.firstboot
rm -rf /run/day0-boot/ignition
umount /run/day0-boot
echo "day0: first boot complete" >&2
