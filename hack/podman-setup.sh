#!/usr/bin/env bash
# Detect whether podman can run a privileged container with its defaults on this host. When it cannot
# (Debian 12 hosts without systemd cgroup delegation / crun), write the settings that make it work into
# /etc/containers/containers.conf.d/50-day0.conf. On Fedora/RHEL hosts the defaults work and nothing is written.
source "$(dirname "$0")/lib.sh"
need_root
conf=/etc/containers/containers.conf.d/50-day0.conf

probe() { timeout 60 podman run --rm --privileged --network=none "$1" true >/dev/null 2>&1; }

probe_image="${1:-}"
if [ -z "$probe_image" ]; then
  # No image yet: judge by the runtime and cgroup environment.
  if command -v crun >/dev/null && [ -d /sys/fs/cgroup/system.slice ] && pidof systemd >/dev/null; then
    log "podman: host defaults look usable (crun + systemd); writing nothing"; exit 0
  fi
elif probe "$probe_image"; then
  log "podman: privileged run works with this host's settings"; exit 0
fi

command -v runc >/dev/null || die "runc is missing: apt-get install runc"
mkdir -p "$(dirname "$conf")"
cat > "$conf.tmp" <<'CONF'
# Written by day0 hack/podman-setup.sh: this host cannot run containers with podman's defaults.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
mv "$conf.tmp" "$conf"
log "podman: wrote $conf (runtime runc, cgroupfs, explicit ulimits)"
