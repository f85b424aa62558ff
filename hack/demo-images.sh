#!/usr/bin/env bash
# Build the demo world's OS images for every platform that has a profile, and push them to the local registry as
# image indexes (one manifest per arch), the way multi-arch OS images are published:
#   $DAY0_REGISTRY/day0/demo-base:latest     CoreOS-like base (kernel, systemd, dracut, Ignition) from Debian packages,
#                                            plus a coreos-installer (hack/demo/installer: a files-only layer) and,
#                                            where disks boot with zipl, zipl (hack/demo/zipl: files only)
#   $DAY0_REGISTRY/day0/demo-layered:latest  FROM the base + libreswan, a config file, an enabled service
# and write an oci-archive holding every arch of the layered image to $DAY0_CACHE/demo/demo-layered.oci.tar.
# The base root filesystem comes from one recipe for every arch (hack/demo/base/build.sh: mmdebstrap, natively for
# the host's arch and under qemu-user for the others); the layered image is a Containerfile built with
# `podman build --platform`. Every image is tagged with the hash of its inputs and rebuilt only when they change.
# DAY0_DEMO_ARCHES="amd64 arm64" limits the arches (Debian names); default: every profile's.
# DAY0_DEMO_BUILD_ONLY=1 builds (and caches) the per-arch images without publishing the indexes or the archive
# (prebuilding an arch while something else uses the published demo world).
source "$(dirname "$0")/lib.sh"
need_root
reg="$DAY0_REGISTRY"
suite="${DAY0_DEBIAN_SUITE:-bookworm}"
mirror="${DAY0_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
"$DAY0_ROOT/hack/registry.sh"
facts() { node "$DAY0_ROOT/hack/profile-facts.mjs" "$@"; }
arches="${DAY0_DEMO_ARCHES:-$(facts deb-arches | xargs)}"
host_arch=$(dpkg --print-architecture)

# Foreign arches run their maintainer scripts and dracut under qemu-user through binfmt_misc.
need_binfmt() {
  [ "$1" = "$host_arch" ] && return 0
  local q
  q=$(facts arch "$1")   # day0's arch names are QEMU's
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc (needed to build $1 images here)"
  fi
  if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$q" ]; then
    command -v update-binfmts >/dev/null || die "qemu-user-static/binfmt-support are missing: bash hack/setup.sh installs them"
    update-binfmts --enable "qemu-$q" >/dev/null 2>&1 || true
  fi
  [ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ] || die "binfmt_misc has no qemu-$q entry: apt-get install qemu-user-static binfmt-support"
}

registry_has() { skopeo inspect --raw --tls-verify=false "docker://$1" >/dev/null 2>&1; }
digest_of() { skopeo inspect --raw --tls-verify=false "docker://$1" 2>/dev/null | sha256sum | cut -c1-64; }

base_hashes=() layered_hashes=()
# The builder image, for files of its foreign-arch sysroots (the zipl layer below); a stopped container to copy from.
builder=$("$DAY0_ROOT/hack/builder-image.sh") || die "the builder image is missing and could not be built"
builder_cid=$(podman create --label io.day0.pid=$$ "$builder" /bin/true) || die "podman create $builder failed"
zipl_ctx=$(mktemp -d /tmp/day0-zipl-ctx-XXXXXX)
trap 'podman rm -f "$builder_cid" >/dev/null 2>&1 || true; rm -rf "$zipl_ctx"' EXIT
for a in $arches; do
  platform=$(facts oci-platform "$a") || die "no profile with deb_arch = $a"
  IFS=/ read -r _ oci variant <<<"$platform"
  t0=$SECONDS
  base_hash=$( { echo "$a $suite $mirror"; input_hash "$DAY0_ROOT/hack/demo/base"; } | sha256sum | cut -c1-16)
  base_ref="localhost/day0/demo-base:$base_hash"
  if ! image_exists "$base_ref"; then
    need_binfmt "$a"
    log "demo-base ($a): building the root filesystem (mmdebstrap${a:+, $a}) …"
    mkdir -p "$DAY0_CACHE/demo"
    tar="$DAY0_CACHE/demo/.base-$a-$base_hash.tar"
    rm -f "$tar"
    "$DAY0_ROOT/hack/demo/base/build.sh" "$a" "$tar" > "$DAY0_CACHE/demo/base-$a.log" 2>&1 \
      || { tail -30 "$DAY0_CACHE/demo/base-$a.log" >&2; rm -f "$tar"; die "demo-base ($a): root filesystem build failed (log: $DAY0_CACHE/demo/base-$a.log)"; }
    podman import --os linux --arch "$oci" ${variant:+--variant "$variant"} \
      --change 'CMD ["/bin/bash"]' \
      --change "LABEL containers.bootc=1" --change "LABEL ostree.bootable=1" \
      --change "LABEL org.opencontainers.image.title=day0-demo-base" \
      --change "LABEL day0.input-hash=$base_hash" \
      "$tar" "$base_ref" >/dev/null || die "demo-base ($a): podman import failed"
    rm -f "$tar"
    log "demo-base ($a): built in $((SECONDS - t0)) s"
  fi
  # The installer layer (files only: no emulation): coreos-installer's contract on top of the root filesystem.
  rootfs_id=$(podman image inspect --format '{{.Id}}' "$base_ref")
  base_hash=$( { echo "$rootfs_id"; input_hash "$DAY0_ROOT/hack/demo/installer"; } | sha256sum | cut -c1-16)
  rootfs_ref=$base_ref
  base_ref="localhost/day0/demo-base:$base_hash"
  if ! image_exists "$base_ref"; then
    podman build --network=none --layers=false --platform "$platform" --pull=never --build-arg "BASE=$rootfs_ref" \
      --label "day0.input-hash=$base_hash" -t "$base_ref" "$DAY0_ROOT/hack/demo/installer" >"$DAY0_CACHE/demo/installer-$a.log" 2>&1 \
      || { tail -30 "$DAY0_CACHE/demo/installer-$a.log" >&2; die "demo-base ($a): installer layer failed (log: $DAY0_CACHE/demo/installer-$a.log)"; }
    log "demo-base ($a): installer layer added"
  fi
  # The zipl layer (files only), where the builder's sysroot for this arch has zipl (a profile's foreign packages
  # brought s390-tools: IBM Z): the installed OS reruns zipl once first boot is done (hack/demo/zipl).
  if [ "$a" != "$host_arch" ] && podman cp "$builder_cid:/usr/lib/day0/sysroot/$a/sbin/zipl" "$zipl_ctx/zipl" 2>/dev/null; then
    podman cp "$builder_cid:/usr/lib/day0/sysroot/$a/lib/s390-tools/stage3.bin" "$zipl_ctx/stage3.bin" \
      || die "demo-base ($a): the builder's $a sysroot has zipl but no lib/s390-tools/stage3.bin"
    cp "$DAY0_ROOT"/hack/demo/zipl/* "$zipl_ctx/"
    prev_id=$(podman image inspect --format '{{.Id}}' "$base_ref")
    base_hash=$( { echo "$prev_id"; input_hash "$zipl_ctx"; } | sha256sum | cut -c1-16)
    prev_ref=$base_ref
    base_ref="localhost/day0/demo-base:$base_hash"
    if ! image_exists "$base_ref"; then
      podman build --network=none --layers=false --platform "$platform" --pull=never --build-arg "BASE=$prev_ref" \
        --label "day0.input-hash=$base_hash" -t "$base_ref" "$zipl_ctx" >"$DAY0_CACHE/demo/zipl-$a.log" 2>&1 \
        || { tail -30 "$DAY0_CACHE/demo/zipl-$a.log" >&2; die "demo-base ($a): zipl layer failed (log: $DAY0_CACHE/demo/zipl-$a.log)"; }
      log "demo-base ($a): zipl layer added"
    fi
    rm -f "$zipl_ctx"/*
  fi
  base_id=$(podman image inspect --format '{{.Id}}' "$base_ref")
  layered_hash=$( { echo "$base_id"; input_hash "$DAY0_ROOT/hack/demo/layered"; } | sha256sum | cut -c1-16)
  layered_ref="localhost/day0/demo-layered:$layered_hash"
  if ! image_exists "$layered_ref"; then
    need_binfmt "$a"
    t1=$SECONDS
    log "demo-layered ($a): building (FROM $base_ref, $platform) …"
    podman build --network=host --layers=false --platform "$platform" --pull=never --build-arg "BASE=$base_ref" \
      --label "day0.input-hash=$layered_hash" -t "$layered_ref" "$DAY0_ROOT/hack/demo/layered" >"$DAY0_CACHE/demo/layered-$a.log" 2>&1 \
      || { tail -30 "$DAY0_CACHE/demo/layered-$a.log" >&2; die "demo-layered ($a): image build failed (log: $DAY0_CACHE/demo/layered-$a.log)"; }
    log "demo-layered ($a): built in $((SECONDS - t1)) s"
  fi
  for pair in "demo-base:$base_hash" "demo-layered:$layered_hash"; do
    registry_has "$reg/day0/$pair" || podman push -q --tls-verify=false "localhost/day0/$pair" "docker://$reg/day0/$pair" >&2 \
      || die "push of $pair to $reg failed; is the registry up? (hack/registry.sh)"
  done
  # The host's arch also answers to the plain local name (containers-storage: references, podman run).
  if [ "$a" = "$host_arch" ]; then
    podman tag "$base_ref" "$reg/day0/demo-base:latest"
    podman tag "$layered_ref" "$reg/day0/demo-layered:latest"
    # The root filesystem without the installer: what tests use as "an image with no installer".
    podman tag "$rootfs_ref" localhost/day0/demo-rootfs:latest
  fi
  base_hashes+=("$base_hash") layered_hashes+=("$layered_hash")
done

if [ -n "${DAY0_DEMO_BUILD_ONLY:-}" ]; then
  log "demo images built ($arches); not published (DAY0_DEMO_BUILD_ONLY)"
  exit 0
fi

# publish_index NAME HASH…: $reg/day0/NAME:latest = an index of the per-arch tags, unless it already is.
publish_index() {
  local name=$1; shift
  local combined idx="day0-index-$name-$$" h
  combined=$(printf '%s\n' "$@" | sha256sum | cut -c1-16)
  if registry_has "$reg/day0/$name:index-$combined" && [ "$(digest_of "$reg/day0/$name:index-$combined")" = "$(digest_of "$reg/day0/$name:latest")" ]; then
    log "$name: index up to date ($combined: $*)"; return 0
  fi
  podman manifest create "$idx" >/dev/null
  for h in "$@"; do podman manifest add --tls-verify=false "$idx" "docker://$reg/day0/$name:$h" >/dev/null; done
  for tag in "index-$combined" latest; do
    podman manifest push -q --all --tls-verify=false "$idx" "docker://$reg/day0/$name:$tag" >&2 || { podman manifest rm "$idx" >/dev/null; die "$name: pushing the index failed"; }
  done
  podman manifest rm "$idx" >/dev/null
  log "$name: pushed index $reg/day0/$name:latest ($arches)"
}
publish_index demo-base "${base_hashes[@]}"
publish_index demo-layered "${layered_hashes[@]}"

archive="$DAY0_CACHE/demo/demo-layered.oci.tar"
want=$(printf '%s\n' "${layered_hashes[@]}" | sha256sum | cut -c1-16)
if [ ! -s "$archive" ] || [ "$(cat "$archive.hash" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$archive")"
  rm -f "$archive.tmp"
  skopeo copy -q --all --src-tls-verify=false "docker://$reg/day0/demo-layered:latest" "oci-archive:$archive.tmp:day0/demo-layered:latest" >&2
  mv "$archive.tmp" "$archive"; echo "$want" > "$archive.hash"
  log "demo-layered: wrote $archive (every arch)"
fi
log "demo images ready ($arches): $reg/day0/demo-base:latest $reg/day0/demo-layered:latest oci-archive:$archive"
