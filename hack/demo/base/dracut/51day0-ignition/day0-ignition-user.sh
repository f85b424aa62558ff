#!/bin/sh
# Hand the config to Ignition. Sources, first found wins: /config.ign in the initramfs (an appended ignition.img /
# live-ignition initrd, as coreos-installer embeds it), then ignition/config.ign on the partition labelled "boot"
# (installed disk). On an installed disk's first boot the boot partition is expected: wait for it as long as a
# loaded host may need (day0.boot_wait=SECONDS, default 900) and fail loudly if it never shows up, rather than
# letting Ignition run without the config and first boot be consumed silently.
set -eu
dst=/usr/lib/ignition/user.ign
mkdir -p /usr/lib/ignition /run/day0
if [ -e /config.ign ]; then
    cp /config.ign "$dst"; chmod 0600 "$dst"
    echo initramfs > /run/day0/config-source
    echo "day0: using the Ignition config embedded in the initramfs" >&2
    exit 0
fi
/usr/bin/is-live-image 2>/dev/null && exit 0
wait_s=$(sed -n 's/.*day0\.boot_wait=\([0-9]*\).*/\1/p' /proc/cmdline)
wait_s=${wait_s:-900}
dev=/dev/disk/by-label/boot
i=0
while [ ! -e "$dev" ]; do
    [ "$i" -lt $((wait_s * 2)) ] || { echo "day0: no partition labelled boot after ${wait_s} s: cannot read the Ignition config" >&2; exit 1; }
    [ $((i % 60)) -ne 59 ] || echo "day0: waiting for $dev ($(( (i + 1) / 2 )) s)" >&2
    i=$((i + 1)); sleep 0.5
done
mkdir -p /run/day0-boot
mount -o ro "$dev" /run/day0-boot
if [ -e /run/day0-boot/ignition/config.ign ]; then
    cp /run/day0-boot/ignition/config.ign "$dst"; chmod 0600 "$dst"
    echo boot-partition > /run/day0/config-source
    echo "day0: using the Ignition config from the boot partition" >&2
else
    echo platform > /run/day0/config-source
fi
umount /run/day0-boot
