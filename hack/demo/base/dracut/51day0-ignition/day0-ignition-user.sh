#!/bin/sh
set -eu
dst=/usr/lib/ignition/user.ign
mkdir -p /usr/lib/ignition
if [ -e /config.ign ]; then
    cp /config.ign "$dst"; chmod 0600 "$dst"
    echo "day0: using the Ignition config embedded in the initramfs" >&2
    exit 0
fi
/usr/bin/is-live-image 2>/dev/null && exit 0
# Installed disk: the partition labelled boot may carry ignition/config.ign (as coreos-installer writes it).
dev=/dev/disk/by-label/boot
i=0
while [ ! -e "$dev" ] && [ "$i" -lt 20 ]; do i=$((i + 1)); sleep 0.5; done
[ -e "$dev" ] || exit 0
mkdir -p /run/day0-boot
mount -o ro "$dev" /run/day0-boot
if [ -e /run/day0-boot/ignition/config.ign ]; then
    cp /run/day0-boot/ignition/config.ign "$dst"; chmod 0600 "$dst"
    echo "day0: using the Ignition config from the boot partition" >&2
fi
umount /run/day0-boot
