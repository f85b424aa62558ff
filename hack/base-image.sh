#!/usr/bin/env bash
# Create the Debian bookworm base image that day0's builder and demo images are built FROM.
# No registry base image is reachable here, so debootstrap makes one and `podman import` turns it into an image.
# Elsewhere, set DAY0_BASE_IMAGE=docker.io/library/debian:bookworm and skip this step.
# Prints the image reference on stdout. Idempotent: cached by the hash of this script and its settings.
source "$(dirname "$0")/lib.sh"
need_root

suite="${DAY0_DEBIAN_SUITE:-bookworm}"
mirror="${DAY0_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
hash=$(printf '%s %s\n' "$suite" "$mirror" | cat - "$0" | sha256sum | cut -c1-12)
ref="localhost/day0/debian-base:$suite-$hash"

if image_exists "$ref"; then echo "$ref"; exit 0; fi

command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
tarball="$DAY0_CACHE/base/debian-$suite-$hash.tar"
if [ ! -s "$tarball" ]; then
  work=$(mktemp -d "$DAY0_CACHE/base-work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "debootstrap $suite (minbase) from $mirror …"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$work/root" "$mirror" >"$work/log" 2>&1 \
    || { tail -20 "$work/log" >&2; die "debootstrap failed (log above); check that $mirror is reachable"; }
  # Keep the image small and reproducible-ish: no apt lists, no logs.
  rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/* "$work/root"/var/cache/apt/*.bin "$work/root"/var/log/*.log
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$suite" "$mirror" "$suite" > "$work/root/etc/apt/sources.list"
  mkdir -p "$(dirname "$tarball")"
  tar -C "$work/root" --numeric-owner --xattrs -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
log "importing $tarball as $ref"
podman import --change 'CMD ["/bin/bash"]' "$tarball" "$ref" >/dev/null
echo "$ref"
