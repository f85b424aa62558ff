#!/bin/sh
# Exit 0 on a live boot (ISO or PXE). Ignition's generator calls this to skip the diskful targets.
[ -e /root.squashfs ] || [ -e /root.erofs ] && exit 0
grep -q 'coreos\.liveiso=' /proc/cmdline
