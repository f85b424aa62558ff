#!/usr/bin/env bash
# Build the demo world's OS images and push them to the local registry:
#   $DAY0_REGISTRY/day0/demo-base:latest     CoreOS-like base (kernel, systemd, dracut, Ignition) from Debian packages
#   $DAY0_REGISTRY/day0/demo-layered:latest  FROM the base + libreswan, a config file, an enabled service
# and write an oci-archive of the layered image to $DAY0_CACHE/demo/demo-layered.oci.tar.
# Each image is labelled with the hash of its inputs; a step whose hash is already in the registry is skipped.
source "$(dirname "$0")/lib.sh"
need_root
reg="$DAY0_REGISTRY"
base_os="${DAY0_BASE_IMAGE:-$("$DAY0_ROOT/hack/base-image.sh")}"
"$DAY0_ROOT/hack/registry.sh"

remote_hash() { skopeo inspect --tls-verify=false --format '{{index .Labels "day0.input-hash"}}' "docker://$1" 2>/dev/null || true; }

# build_push NAME CONTEXT BASE_REF: build CONTEXT FROM BASE_REF as $reg/day0/NAME:latest unless already there.
build_push() {
  local name=$1 ctx=$2 from=$3 ref="$reg/day0/$1:latest" from_id hash
  from_id=$(podman image inspect --format '{{.Id}}' "$from" 2>/dev/null) \
    || { podman pull -q --tls-verify=false "$from" >/dev/null; from_id=$(podman image inspect --format '{{.Id}}' "$from"); }
  hash=$( { echo "$from_id"; input_hash "$ctx"; } | sha256sum | cut -c1-16)
  if [ "$(remote_hash "$ref")" = "$hash" ] && image_exists "$ref"; then
    log "$name: up to date in $reg ($hash)"; return 0
  fi
  if ! podman image exists "localhost/day0/$name:$hash"; then
    log "$name: building (FROM $from) …"
    podman build --network=host --layers=false --build-arg "BASE=$from" --label "day0.input-hash=$hash" \
      -t "localhost/day0/$name:$hash" "$ctx" >&2 || die "$name: image build failed (output above)"
  fi
  podman tag "localhost/day0/$name:$hash" "$ref"
  log "$name: pushing to $ref"
  podman push -q --tls-verify=false "$ref" >&2 || die "$name: push to $reg failed; is the registry up? (hack/registry.sh)"
}

build_push demo-base "$DAY0_ROOT/hack/demo/base" "$base_os"
build_push demo-layered "$DAY0_ROOT/hack/demo/layered" "$reg/day0/demo-base:latest"

archive="$DAY0_CACHE/demo/demo-layered.oci.tar"
hash=$(podman image inspect --format '{{index .Labels "day0.input-hash"}}' "$reg/day0/demo-layered:latest")
if [ ! -s "$archive" ] || [ "$(cat "$archive.hash" 2>/dev/null)" != "$hash" ]; then
  mkdir -p "$(dirname "$archive")"
  rm -f "$archive.tmp"
  skopeo copy -q "containers-storage:$reg/day0/demo-layered:latest" "oci-archive:$archive.tmp:day0/demo-layered:latest" >&2
  mv "$archive.tmp" "$archive"; echo "$hash" > "$archive.hash"
  log "demo-layered: wrote $archive"
fi
log "demo images ready: $reg/day0/demo-base:latest $reg/day0/demo-layered:latest oci-archive:$archive"
