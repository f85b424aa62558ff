#!/usr/bin/env bash
# Start the local demo registry (Debian's docker-registry) on 127.0.0.1:5000 unless one already answers.
# Storage and logs live under $DAY0_CACHE/registry, so pushed images survive restarts. Idempotent.
source "$(dirname "$0")/lib.sh"
addr="${DAY0_REGISTRY_ADDR:-127.0.0.1:5000}"
dir="$DAY0_CACHE/registry"
answers() { curl -fsS -m 2 "http://$addr/v2/" >/dev/null 2>&1; }

if answers; then log "registry: already serving on $addr"; exit 0; fi
bin=$(command -v docker-registry || true)
[ -n "$bin" ] || die "docker-registry is missing: apt-get install docker-registry"
mkdir -p "$dir/data"
cat > "$dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
CONF
# The Debian package may have started its own service on :5000 (all interfaces); day0 wants loopback only.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi
nohup setsid "$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! > "$dir/registry.pid"
for _ in $(seq 1 50); do answers && { log "registry: serving on $addr (pid $(cat "$dir/registry.pid"))"; exit 0; }; sleep 0.2; done
tail -20 "$dir/registry.log" >&2
die "registry did not start on $addr (log above; is the port taken? ss -ltnp | grep ${addr##*:})"
