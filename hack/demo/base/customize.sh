#!/bin/sh
# mmdebstrap customize hook for the demo base: $1 is the new root (any arch; foreign ones run under qemu-user).
# Puts the kernel and a dracut initramfs where CoreOS keeps them (/usr/lib/modules/<kver>/{vmlinuz,initramfs.img}),
# trims drivers no VM or lab server needs, and leaves no /boot content behind.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
cp -a "$here/files/." "$root/"
cp -a "$here/dracut/." "$root/usr/lib/dracut/modules.d/"
kver=$(ls "$root/usr/lib/modules")
mods="$root/usr/lib/modules/$kver"
# Debian names the kernel vmlinuz (amd64, arm64, s390x) or vmlinux (ppc64el).
cp "$(ls "$root/boot"/vmlinu[xz]-"$kver" | head -1)" "$mods/vmlinuz"
( cd "$mods/kernel" && rm -rf sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging \
    drivers/isdn drivers/bluetooth net/wireless net/mac80211 net/bluetooth drivers/iio drivers/comedi \
    drivers/video/fbdev drivers/net/ethernet/mellanox drivers/net/ethernet/chelsio drivers/net/can drivers/hwmon \
    drivers/input/touchscreen )
# The driver list, without modules this arch's kernel lacks (dracut refuses unknown drivers).
have=""
for m in $(sed 's/#.*//' "$here/drivers"); do
    alt=$(echo "$m" | tr _ -)
    if grep -qE "/($m|$alt)\.ko" "$mods/modules.builtin" 2>/dev/null \
       || [ -n "$(find "$mods/kernel" \( -name "$m.ko*" -o -name "$alt.ko*" \) -print -quit)" ]; then
        have="$have $m"
    fi
done
echo "drivers+=\"$have \"" > "$root/etc/dracut.conf.d/91-day0-drivers.conf"
chroot "$root" depmod "$kver"
# dracut runs in the root (emulated for foreign arches); compression runs natively here, which is much faster.
chroot "$root" dracut --force --no-compress --kver "$kver" "/usr/lib/modules/$kver/initramfs.img"
zstd -q -T0 -15 --rm -f "$mods/initramfs.img" -o "$mods/initramfs.img.zst"
mv "$mods/initramfs.img.zst" "$mods/initramfs.img"
chmod 0644 "$mods/initramfs.img"
# Give the kernel hook back to dracut (it was a no-op while the packages were installed).
rm -f "$root/etc/kernel/postinst.d/dracut"
chroot "$root" dpkg-divert --quiet --local --rename --remove /etc/kernel/postinst.d/dracut
# mmdebstrap keeps /etc/machine-id as files/ wrote it ("uninitialized": first boot for systemd presets).
rm -rf "$root"/boot/* "$root"/var/log/*.log "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/cache/ldconfig/aux-cache
