#!/usr/bin/env bash
# The main job on the built-in demo: set up the demo world (local registry, the demo layered image for every
# platform with a profile), build every medium of every platform from it with the demo Ignition config, and
# boot-check each one under QEMU. Ends with one verdict table (arch × medium × boot mode). Output: ./out
# (override with DAY0_DEMO_OUT); DAY0_DEMO_ARCH=x86_64 (or a list) limits the platforms.
source "$(dirname "$0")/lib.sh"
"$DAY0_ROOT/hack/setup.sh"
out="${DAY0_DEMO_OUT:-$DAY0_ROOT/out}"
exec node "$DAY0_ROOT/bin/day0.js" build "$DAY0_REGISTRY/day0/demo-layered:latest" --tls-verify=false \
  --arch "${DAY0_DEMO_ARCH:-all}" \
  --ignition "$DAY0_ROOT/hack/demo/config.ign" \
  --format iso,pxe,metal,metal4k,qemu \
  --output "$out" \
  --check-boot --firmware all \
  --expect-file /etc/ipsec.d/my-host-to-host.conf --expect-unit hello-day0.service
