#!/usr/bin/env bash
# Set up everything day0's demo and tests need on a Debian 12 machine, idempotently:
# host packages, podman settings, npm dependencies and build, the local registry, the builder image and the
# demo OS images. Each step is skipped when its result is already there, so a second run takes seconds.
source "$(dirname "$0")/lib.sh"
need_root
cd "$DAY0_ROOT"

# Host packages: podman and friends for the builder; the rest are tools the tests use as independent references
# (ignition-validate, xorriso, htpasswd, …); mmdebstrap (+ arch-test, which it needs for a foreign arch) + qemu-user-static build the demo OS for every arch.
# Image tooling for builds runs inside the builder image.
PKGS=(podman runc skopeo umoci debootstrap mmdebstrap arch-test qemu-user-static binfmt-support docker-registry curl ca-certificates
      xorriso mtools xz-utils zstd cpio ignition apache2-utils iproute2 e2fsprogs fdisk qemu-utils time chromium)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed (is the Debian mirror reachable?)"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install failed: ${missing[*]}"
fi

"$DAY0_ROOT/hack/podman-setup.sh"

# npm dependencies and the compiled CLI, redone only when the lock file or sources change.
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -d node_modules ] || [ "$(cat node_modules/.day0-lock 2>/dev/null)" != "$lock_hash" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2 || die "npm ci failed"
  echo "$lock_hash" > node_modules/.day0-lock
fi
npx tsc -p tsconfig.json >&2 || die "TypeScript build failed"

"$DAY0_ROOT/hack/registry.sh"
"$DAY0_ROOT/hack/builder-image.sh" >/dev/null
"$DAY0_ROOT/hack/demo-images.sh"
log "setup complete"
