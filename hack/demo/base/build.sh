#!/usr/bin/env bash
# Build the demo base's root filesystem for one Debian architecture as a tarball, with mmdebstrap: natively for the
# host's arch, under qemu-user (binfmt_misc) for the others. One recipe for every arch:
#   packages   the package list        kernels   Debian's kernel package per arch
#   drivers    initramfs driver list    files/, dracut/   overlay and dracut modules
# Usage: build.sh DEB_ARCH OUT.tar
set -euo pipefail
deb_arch=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
suite="${DAY0_DEBIAN_SUITE:-bookworm}"
mirror="${DAY0_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
kernel=$(awk -v a="$deb_arch" '$1 == a { print $2 }' "$here/kernels")
[ -n "$kernel" ] || { echo "no kernel package for $deb_arch in $here/kernels" >&2; exit 1; }
pkgs=$(sed 's/#.*//' "$here/packages" | xargs | tr ' ' ',')
# No docs, man pages or translations: less to unpack (and emulate) and a smaller image.
exec mmdebstrap --mode=root --variant=minbase --architectures="$deb_arch" \
  --include="$kernel,$pkgs" \
  --aptopt='APT::Install-Recommends "false"' --skip=cleanup/reproducible \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='force-unsafe-io' \
  --essential-hook="$here/essential.sh \"\$1\"" \
  --customize-hook="$here/customize.sh \"\$1\"" \
  "$suite" "$out" "deb $mirror $suite main" "deb $mirror $suite-updates main"
