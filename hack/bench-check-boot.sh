#!/usr/bin/env bash
# Benchmark (not a test): per medium, the guest's seconds to the boot-check marker and day0's own overhead around
# it (preparing the medium copy, starting QEMU, collecting the console, cleanup). Builds the demo media first
# unless artifacts are given.
#   bash hack/bench-check-boot.sh                 # demo layered image, all x86_64 media
#   bash hack/bench-check-boot.sh ARTIFACT…       # existing media
#   JOBS=1 bash hack/bench-check-boot.sh          # one boot at a time (guest time without contention)
source "$(dirname "$0")/lib.sh"
day0=(node "$DAY0_ROOT/bin/day0.js")
work=$(mktemp -d /tmp/day0-bench-boot-XXXXXX); trap 'rm -rf "$work"' EXIT
if [ $# -eq 0 ]; then
  "${day0[@]}" build "$DAY0_REGISTRY/day0/demo-layered:latest" --tls-verify=false -q \
    -i "$DAY0_ROOT/hack/demo/config.ign" -f iso,pxe,metal,metal4k,qemu -o "$work/out" >/dev/null
  set -- "$work"/out/x86_64/*.iso "$work"/out/x86_64/*-live-kernel.* "$work"/out/x86_64/*.raw "$work"/out/x86_64/*.qcow2
fi
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" "${day0[@]}" check-boot --json --jobs "${JOBS:-$(nproc)}" --log-dir "$work/logs" "$@" > "$work/report.json" || true
end=$(date +%s.%N)
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const rows = r.results.map((x) => [x.medium, x.verdict, x.seconds.toFixed(1), x.overheadSeconds.toFixed(1)]);
  console.log(`accelerator: ${r.accel} (${r.accelReason})`);
  console.log(["medium", "verdict", "guest s", "day0 overhead s"].map((h, i) => h.padEnd([14, 8, 9, 16][i])).join(""));
  for (const row of rows) console.log(row.map((c, i) => String(c).padEnd([14, 8, 9, 16][i])).join(""));
  const sum = (k) => r.results.reduce((a, x) => a + x[k], 0);
  console.log(`sum of guest seconds: ${sum("seconds").toFixed(1)}, sum of overhead: ${sum("overheadSeconds").toFixed(1)}`);
  console.log(`wall clock for all: ${(Number(process.argv[2]) - Number(process.argv[3])).toFixed(1)} s, day0 peak RSS: ${(Number(process.argv[4]) / 1024).toFixed(0)} MiB`);
' "$work/report.json" "$end" "$start" "$(cat "$work/rss")"
