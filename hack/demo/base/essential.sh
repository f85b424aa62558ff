#!/bin/sh
# mmdebstrap essential hook: before the packages are installed, make dracut's kernel hook a no-op, so installing
# the kernel does not build a generic initramfs into /boot (under emulation that alone takes minutes). The recipe
# builds the one initramfs day0 ships afterwards (customize.sh) and restores the hook.
set -eu
root=$1
chroot "$root" dpkg-divert --quiet --local --rename --divert /etc/kernel/postinst.d/dracut.day0 --add /etc/kernel/postinst.d/dracut
mkdir -p "$root/etc/kernel/postinst.d"
printf '#!/bin/sh\nexit 0\n' > "$root/etc/kernel/postinst.d/dracut"
chmod 0755 "$root/etc/kernel/postinst.d/dracut"
