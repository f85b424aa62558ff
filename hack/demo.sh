#!/usr/bin/env bash
# The main job on the built-in demo: set up the demo world (local registry + demo layered image), build every
# x86_64 medium from the layered image with the demo Ignition config, and boot-check each one under QEMU.
# Ends with the verdict table. Output: ./out (override with DAY0_DEMO_OUT).
source "$(dirname "$0")/lib.sh"
"$DAY0_ROOT/hack/setup.sh"
out="${DAY0_DEMO_OUT:-$DAY0_ROOT/out}"
exec node "$DAY0_ROOT/bin/day0.js" build "$DAY0_REGISTRY/day0/demo-layered:latest" --tls-verify=false \
  --ignition "$DAY0_ROOT/hack/demo/config.ign" \
  --format iso,pxe,metal,metal4k,qemu \
  --output "$out" \
  --check-boot --firmware both \
  --expect-file /etc/ipsec.d/my-host-to-host.conf --expect-unit hello-day0.service
