#!/bin/bash
# day0 demo: hand an embedded Ignition config to Debian's Ignition, and finish first boot on installed disks.
# Sources, first found wins: /config.ign in the initramfs (an appended ignition.img / live-ignition initrd, as
# coreos-installer embeds it), then ignition/config.ign on the partition labelled "boot" (installed disk).
# The copy lands at /usr/lib/ignition/user.ign, which Ignition reads before asking the platform (e.g. qemu fw_cfg).
check() { return 0; }
depends() { echo ignition; }
install() {
    inst_multiple mount umount cp rm mkdir sleep sed cat cmp
    inst_multiple -o udevadm
    inst_script "$moddir/setfiles-shim.sh" /usr/sbin/setfiles
    inst_script "$moddir/day0-ignition-user.sh" /usr/sbin/day0-ignition-user
    inst_script "$moddir/day0-firstboot-complete.sh" /usr/sbin/day0-firstboot-complete
    inst_simple "$moddir/day0-ignition-user.service" "$systemdsystemunitdir/day0-ignition-user.service"
    inst_simple "$moddir/day0-firstboot-complete.service" "$systemdsystemunitdir/day0-firstboot-complete.service"
    for u in ignition-fetch-offline ignition-fetch; do
        inst_simple "$moddir/ignition-fetch-day0.conf" "$systemdsystemunitdir/$u.service.d/10-day0.conf"
    done
    mkdir -p "$initdir/$systemdsystemunitdir/ignition-complete.target.requires" \
             "$initdir/$systemdsystemunitdir/ignition-diskful.target.requires"
    ln_r "$systemdsystemunitdir/day0-ignition-user.service" \
         "$systemdsystemunitdir/ignition-complete.target.requires/day0-ignition-user.service"
    ln_r "$systemdsystemunitdir/day0-firstboot-complete.service" \
         "$systemdsystemunitdir/ignition-diskful.target.requires/day0-firstboot-complete.service"
}
