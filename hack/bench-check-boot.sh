#!/usr/bin/env bash
# Benchmark (not a test): per medium, the guest's seconds to the boot-check marker, where they go (boot phases read
# from the console: firmware, bootloader, kernel, initramfs, Ignition, switch-root) and day0's own overhead around
# it (preparing the medium copy, starting QEMU, collecting the console, cleanup). Builds the demo media first
# unless artifacts are given.
#   bash hack/bench-check-boot.sh                 # demo layered image, all x86_64 media, day0's own scheduling
#   bash hack/bench-check-boot.sh ARTIFACT…       # existing media
#   JOBS=1 bash hack/bench-check-boot.sh          # one boot at a time (guest time without contention)
#   LOAD=4 bash hack/bench-check-boot.sh          # under a CPU hog: stress-ng keeps 4 × cores busy workers
#                                                 # for the whole check (bounded by LOAD_MAX_S, default 3600)
# With LOAD, the host's load average is sampled every 10 s and printed (min / median / max) beside the verdicts.
source "$(dirname "$0")/lib.sh"
day0=(node "$DAY0_ROOT/bin/day0.js")
work=$(mktemp -d /tmp/day0-bench-boot-XXXXXX)
hog="" sampler=""
cleanup() {
  [ -z "$hog" ] || kill "$hog" 2>/dev/null || true
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ $# -eq 0 ]; then
  "${day0[@]}" build "$DAY0_REGISTRY/day0/demo-layered:latest" --tls-verify=false -q \
    -i "$DAY0_ROOT/hack/demo/config.ign" -f iso,pxe,metal,metal4k,qemu -o "$work/out" >/dev/null || die "building the demo media failed"
  set -- "$work"/out/x86_64/*.iso "$work"/out/x86_64/*-live-kernel.* "$work"/out/x86_64/*.raw "$work"/out/x86_64/*.qcow2
fi
jobs=()
[ -z "${JOBS:-}" ] || jobs=(--jobs "$JOBS")
if [ -n "${LOAD:-}" ]; then
  command -v stress-ng >/dev/null || { log "installing stress-ng (Debian)"; apt-get install -y -qq --no-install-recommends stress-ng >&2 || die "apt-get install stress-ng failed"; }
  workers=$(( LOAD * $(nproc) ))
  stress-ng --cpu "$workers" --timeout "${LOAD_MAX_S:-3600}s" --quiet &
  hog=$!
  log "CPU hog: stress-ng --cpu $workers (pid $hog); waiting 60 s for the load to build up"
  sleep 60
  ( while sleep 10; do cut -d' ' -f1 /proc/loadavg; done ) > "$work/load" &
  sampler=$!
fi
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" "${day0[@]}" check-boot --json --progress plain "${jobs[@]}" --log-dir "$work/logs" "$@" > "$work/report.json" || true
end=$(date +%s.%N)
[ -z "$sampler" ] || { kill "$sampler" 2>/dev/null; sampler=""; }
touch "$work/load"
node -e '
  const fs = require("fs");
  const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const [end, start, rss, loadFile, loadMul] = process.argv.slice(2);
  for (const [arch, a] of Object.entries(r.accel)) console.log(`accelerator ${arch}: ${a.accel} (${a.reason})`);
  if (r.schedule) console.log(`boots at once: ${r.schedule.jobs} (${r.schedule.reason})`);
  const loads = fs.readFileSync(loadFile, "utf8").split("\n").filter(Boolean).map(Number).sort((a, b) => a - b);
  if (loadMul) console.log(`host load (LOAD=${loadMul} × cores, sampled every 10 s): min ${loads[0]}, median ${loads[Math.floor(loads.length / 2)]}, max ${loads.at(-1)}`);
  const phases = ["firmware", "bootloader", "kernel", "initramfs", "ignition-fetch", "ignition-disks", "ignition-files", "switch-root"];
  const short = { firmware: "fw", bootloader: "boot", kernel: "kern", initramfs: "initrd", "ignition-fetch": "ign-fetch", "ignition-disks": "ign-disks", "ignition-files": "ign-files", "switch-root": "sw-root" };
  const head = ["medium", "verdict", "guest s", "day0 s", ...phases.map((p) => short[p])];
  const w = [14, 9, 9, 8, ...phases.map(() => 10)];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join("");
  console.log(line(head));
  for (const x of r.results) {
    const d = Object.fromEntries((x.phases || []).map((p) => [p.phase, (p.end - p.start).toFixed(1)]));
    console.log(line([x.medium, x.verdict, x.seconds.toFixed(1), x.overheadSeconds.toFixed(1), ...phases.map((p) => d[p] ?? "-")]));
    if (x.verdict !== "pass") console.log(`  ${x.failure}: ${x.reason}`);
  }
  const sum = (k) => r.results.reduce((a, x) => a + x[k], 0);
  const pass = r.results.filter((x) => x.verdict === "pass").length;
  console.log(`${pass}/${r.results.length} passed; sum of guest seconds: ${sum("seconds").toFixed(1)}, sum of overhead: ${sum("overheadSeconds").toFixed(1)}`);
  console.log(`wall clock for all: ${(Number(end) - Number(start)).toFixed(1)} s, day0 peak RSS: ${(Number(rss) / 1024).toFixed(0)} MiB`);
' "$work/report.json" "$end" "$start" "$(cat "$work/rss")" "$work/load" "${LOAD:-}"
