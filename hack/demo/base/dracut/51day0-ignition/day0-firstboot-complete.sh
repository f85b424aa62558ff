#!/bin/sh
# Installed disk, after Ignition's files stage succeeded (the unit requires it): remove /boot/ignition.firstboot
# (GRUB adds ignition.firstboot while it exists) and the config, so Ignition runs exactly once. Only when Ignition
# really ran with the config: day0-ignition-user recorded its source, Ignition cached the config it fetched
# (/run/ignition.json), and a config on the boot partition is the one that was handed over. Otherwise the flag and
# the config stay (the next boot tries again) and the unit fails loudly.
set -eu
say() { echo "day0: $2" >&2; echo "<$1>day0: $2" > /dev/kmsg 2>/dev/null || true; }
refuse() { say 2 "FATAL: first boot not marked done: $1"; exit 1; }
src=$(cat /run/day0/config-source 2>/dev/null || true)
[ -n "$src" ] || refuse "day0-ignition-user did not record a config source (it did not run or failed)"
case "$src" in
    # A config was handed over: Ignition must have fetched it (it caches what it fetched in /run/ignition.json).
    initramfs|boot-partition) [ -s /run/ignition.json ] || refuse "Ignition fetched no config (/run/ignition.json is missing)";;
esac
dev=/dev/disk/by-label/boot
[ -e "$dev" ] || refuse "no partition labelled boot"
mkdir -p /run/day0-boot
mount -o rw "$dev" /run/day0-boot || refuse "cannot mount $dev"
if [ -e /run/day0-boot/ignition/config.ign ]; then
    if [ "$src" != boot-partition ]; then
        umount /run/day0-boot
        refuse "the boot partition has a config Ignition did not get (config source: $src)"
    fi
    if [ ! -s /usr/lib/ignition/user.ign ] || ! cmp -s /run/day0-boot/ignition/config.ign /usr/lib/ignition/user.ign; then
        umount /run/day0-boot
        refuse "the config handed to Ignition is not the one on the boot partition"
    fi
fi
rm -f /run/day0-boot/ignition.firstboot
rm -rf /run/day0-boot/ignition
umount /run/day0-boot
say 5 "first boot complete (config source: $src)"
