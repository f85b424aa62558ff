#!/bin/sh
# Hand the config to Ignition. Sources, first found wins: /config.ign in the initramfs (an appended ignition.img /
# live-ignition initrd, as coreos-installer embeds it), then ignition/config.ign on the partition labelled "boot"
# (installed disk). On an installed disk's first boot the boot partition is expected: wait for it the way systemd
# waits for a device (udev's own `udevadm wait`, as long as a loaded host may need: day0.boot_wait=SECONDS, default
# 900), saying so on the console every 30 s, and fail loudly if it never shows up (non-zero exit: the unit's
# OnFailure= isolates the emergency target, and Ignition's stages require this unit), rather than letting Ignition
# run without the config and first boot be consumed silently.
# Every successful path records where the config came from in /run/day0/config-source; the first-boot completion
# unit reads it.
set -eu
dst=/usr/lib/ignition/user.ign
src_file=/run/day0/config-source
mkdir -p /usr/lib/ignition /run/day0
# On the console too (the journal is not forwarded there): <3> error, <5> notice.
say() { echo "day0: $2" >&2; echo "<$1>day0: $2" > /dev/kmsg 2>/dev/null || true; }
fatal() { say 2 "FATAL: $1"; exit 1; }

if [ -e /config.ign ]; then
    cp /config.ign "$dst"; chmod 0600 "$dst"
    echo initramfs > "$src_file"
    say 5 "using the Ignition config embedded in the initramfs"
    exit 0
fi
if /usr/bin/is-live-image 2>/dev/null; then
    # A live boot without an embedded config: the platform (e.g. fw_cfg) may give one; nothing is consumed.
    echo live-platform > "$src_file"
    exit 0
fi

wait_s=$(sed -n 's/.*day0\.boot_wait=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
wait_s=${wait_s:-900}
dev=/dev/disk/by-label/boot
# `udevadm wait` (systemd >= 251) returns when udev has the symlink; older udevadm: poll once a second.
have_wait=no
udevadm wait --help >/dev/null 2>&1 && have_wait=yes
wait_10s() {
    if [ "$have_wait" = yes ]; then
        udevadm wait --timeout=10 "$dev" >/dev/null 2>&1 || true
    else
        n=0
        while [ "$n" -lt 10 ] && [ ! -e "$dev" ]; do sleep 1; n=$((n + 1)); done
    fi
}
waited=0
while [ ! -e "$dev" ]; do
    [ "$waited" -lt "$wait_s" ] || fatal "no partition labelled boot after ${wait_s} s: the Ignition config on it cannot be read; not running Ignition, first boot not consumed (raise day0.boot_wait= if the disk is just slow)"
    wait_10s
    waited=$((waited + 10))
    [ -e "$dev" ] || [ $((waited % 30)) -ne 0 ] || say 5 "waiting for $dev (${waited} s of ${wait_s} s)"
done
[ "$waited" -eq 0 ] || say 5 "$dev appeared after about ${waited} s"
mkdir -p /run/day0-boot
mount -o ro "$dev" /run/day0-boot || fatal "cannot mount $dev: the Ignition config on it cannot be read"
if [ -e /run/day0-boot/ignition/config.ign ]; then
    if ! cp /run/day0-boot/ignition/config.ign "$dst"; then
        umount /run/day0-boot || true
        fatal "cannot copy ignition/config.ign from $dev"
    fi
    chmod 0600 "$dst"
    echo boot-partition > "$src_file"
    say 5 "using the Ignition config from the boot partition"
else
    echo platform > "$src_file"
    say 5 "no config on the boot partition: Ignition asks the platform"
fi
umount /run/day0-boot
