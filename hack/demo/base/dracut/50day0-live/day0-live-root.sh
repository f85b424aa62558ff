#!/bin/sh
# Mount the live root image read-only at /run/day0-live/lower and prepare the overlay's tmpfs dirs.
set -eu
say() { echo "day0-live: $*" >&2; }
mkdir -p /run/day0-live/lower /run/day0-live/rw/upper /run/day0-live/rw/work

for img in /root.squashfs /root.erofs; do
    if [ -e "$img" ]; then
        fstype=${img#/root.}
        mount -o ro,loop -t "$fstype" "$img" /run/day0-live/lower
        say "mounted $img"
        exit 0
    fi
done

label=$(sed -n 's/.*coreos\.liveiso=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$label" ] || { say "no root.squashfs/root.erofs in the initramfs and no coreos.liveiso=<label>"; exit 1; }
dev=/dev/disk/by-label/$label
# A loaded host may take minutes to show the device: wait day0.boot_wait=SECONDS (default 900).
wait_s=$(sed -n 's/.*day0\.boot_wait=\([0-9]*\).*/\1/p' /proc/cmdline)
wait_s=${wait_s:-900}
i=0
while [ ! -e "$dev" ]; do
    i=$((i + 1))
    [ "$i" -le $((wait_s * 2)) ] || { say "no device labelled $label after $wait_s s"; exit 1; }
    sleep 0.5
done
mkdir -p /run/day0-live/media
mount -o ro -t iso9660 "$dev" /run/day0-live/media
img=/run/day0-live/media/images/pxeboot/rootfs.img
[ -e "$img" ] || { say "$dev has no images/pxeboot/rootfs.img"; exit 1; }
# rootfs.img is an uncompressed newc cpio whose first member is root.squashfs or root.erofs:
# mount that member in place (header 110 bytes, name, 4-byte alignment).
magic=$(head -c 6 "$img")
[ "$magic" = 070701 ] || { say "$img is not a newc cpio"; exit 1; }
filesize=$((0x$(dd if="$img" bs=1 skip=54 count=8 2>/dev/null)))
namesize=$((0x$(dd if="$img" bs=1 skip=94 count=8 2>/dev/null)))
name=$(dd if="$img" bs=1 skip=110 count=$((namesize - 1)) 2>/dev/null)
case "$name" in
    root.squashfs) fstype=squashfs ;;
    root.erofs) fstype=erofs ;;
    *) say "first member of $img is $name, not root.squashfs or root.erofs"; exit 1 ;;
esac
offset=$(( (110 + namesize + 3) / 4 * 4 ))
mount -o ro,loop,offset=$offset,sizelimit=$filesize -t "$fstype" "$img" /run/day0-live/lower
say "mounted $name from $dev ($label)"
