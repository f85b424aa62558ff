#!/bin/sh
# systemd generator: on a live boot, /sysroot is an overlay of the read-only root image and a tmpfs upper layer.
out="${1:-/tmp}"
/usr/bin/is-live-image || exit 0
cat > "$out/sysroot.mount" <<UNIT
[Unit]
Description=Live root filesystem (overlay)
DefaultDependencies=no
Before=initrd-root-fs.target
Requires=day0-live-root.service
After=day0-live-root.service

[Mount]
What=overlay
Where=/sysroot
Type=overlay
Options=lowerdir=/run/day0-live/lower,upperdir=/run/day0-live/rw/upper,workdir=/run/day0-live/rw/work
UNIT
mkdir -p "$out/initrd-root-fs.target.requires"
ln -sf ../sysroot.mount "$out/initrd-root-fs.target.requires/sysroot.mount"
