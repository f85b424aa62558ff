#!/usr/bin/env bash
# Set up (idempotent) and run day0's whole test suite: unit tests, then the integration tests with real podman,
# registry, builder container and QEMU boots.
source "$(dirname "$0")/lib.sh"
"$DAY0_ROOT/hack/setup.sh"
cd "$DAY0_ROOT"
exec npx vitest run "$@"
