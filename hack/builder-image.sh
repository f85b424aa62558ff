#!/usr/bin/env bash
# Build day0's builder image from builder/Containerfile with the packages the platform profiles ask for, tagged by
# the hash of its inputs (Containerfile, package lists, base image ID), so it is rebuilt only when they change.
# Prints the image reference on stdout.
source "$(dirname "$0")/lib.sh"
need_root
base="${DAY0_BASE_IMAGE:-$("$DAY0_ROOT/hack/base-image.sh")}"
base_id=$(podman image inspect --format '{{.Id}}' "$base") || die "base image $base not found"
facts() { node "$DAY0_ROOT/hack/profile-facts.mjs" "$1" | xargs; }
packages=$(facts packages) || die "cannot read the profiles (is node_modules installed? npm ci)"
foreign=$(facts foreign-packages)
hash=$( { echo "$base_id"; echo "$packages"; echo "$foreign"; cat "$DAY0_ROOT/builder/Containerfile"; } | sha256sum | cut -c1-16)
ref="localhost/day0/builder:$hash"
if ! image_exists "$ref"; then
  log "building builder image $ref (FROM $base; $packages; foreign: ${foreign:-none}) …"
  podman build --network=host --layers=false --build-arg "BASE=$base" \
    --build-arg "PACKAGES=$packages" --build-arg "FOREIGN_PACKAGES=$foreign" -t "$ref" \
    -f "$DAY0_ROOT/builder/Containerfile" "$DAY0_ROOT/builder" >&2 \
    || die "builder image build failed (output above)"
fi
podman tag "$ref" localhost/day0/builder:latest
echo "$ref"
