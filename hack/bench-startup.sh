#!/usr/bin/env bash
# Benchmark day0's start-up: whole-process wall time of quick commands against `node -e 0` (Node's own start-up),
# side by side. Runs alternate (A B A B …) and the ratio is taken pair by pair, so a machine whose speed drifts
# still gives a fair ratio. Quote the median. The goal (issue 15): each command within ~3× of `node -e 0`.
# Not a test. Usage: hack/bench-startup.sh [RUNS]   (default 15)
# Needs: node, xorriso, a built checkout (npm ci or npm run build: bin/day0.js runs dist/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs="${1:-15}"
for tool in node xorriso; do command -v "$tool" >/dev/null || die "missing $tool"; done
[ -f "$DAY0_ROOT/dist/cli/main.js" ] || die "dist/ is missing: run npm ci (or npm run build) first"

work="$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/day0-bench-startup-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A small CoreOS-shaped live ISO (Ignition embed area only) with a config embedded, and that config on its own.
mkdir -p "$work/stage/coreos" "$work/stage/images"
printf '{"file": "images/ignition.img"}\n' > "$work/stage/coreos/igninfo.json"
head -c 262144 /dev/zero > "$work/stage/images/ignition.img"
xorriso -as mkisofs -R -J -V DAY0BENCH -o "$work/live.iso" "$work/stage" 2>/dev/null
printf '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA bench"]}]}}\n' \
  > "$work/config.ign"
day0=(node "$DAY0_ROOT/bin/day0.js")
"${day0[@]}" iso ignition embed -i "$work/config.ign" "$work/live.iso"
"${day0[@]}" iso ignition show "$work/live.iso" | cmp -s - "$work/config.ign" || die "iso ignition show did not give the config back"
"${day0[@]}" ignition validate "$work/config.ign" >/dev/null || die "ignition validate failed on the bench config"

cat > "$work/pair.mjs" <<'EOF'
// pair.mjs RUNS LABEL -- A... -- B... : run A and B in turn RUNS times (after one warm-up each), output discarded;
// print wall-time median (min–max) of each and the median of the per-pair ratios A/B.
import { spawnSync } from 'node:child_process';
const [runs, label, ...rest] = process.argv.slice(2);
const sep = rest.indexOf('--', 1);
const a = rest.slice(1, sep), b = rest.slice(sep + 1);
const once = (cmd) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) { process.stderr.write(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`); process.exit(1); }
  return s;
};
once(a); once(b);
const ta = [], tb = [], ratio = [];
for (let i = 0; i < Number(runs); i++) {
  const x = once(a), y = once(b);
  ta.push(x); tb.push(y); ratio.push(x / y);
}
const med = (v) => { const s = [...v].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (v) => `${(med(v) * 1000).toFixed(0).padStart(5)} ms (${(Math.min(...v) * 1000).toFixed(0)}–${(Math.max(...v) * 1000).toFixed(0)})`;
console.log(`${label.padEnd(34)} ${ms(ta).padEnd(22)} ${ms(tb).padEnd(22)} ${med(ratio).toFixed(2)}×`);
EOF

echo "wall time, median (min–max) of $runs runs each, on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version)"
printf '%-34s %-22s %-22s %s\n' 'command' 'day0' 'node -e 0' 'ratio (median of pairs)'
bench() { local label="$1"; shift; node "$work/pair.mjs" "$runs" "$label" -- "$@" -- node -e 0; }
bench 'day0 --version'                "${day0[@]}" --version
bench 'day0 iso ignition show ISO'    "${day0[@]}" iso ignition show "$work/live.iso"
bench 'day0 iso ignition embed -f ISO' "${day0[@]}" iso ignition embed -f -i "$work/config.ign" "$work/live.iso"
bench 'day0 ignition validate FILE'   "${day0[@]}" ignition validate "$work/config.ign"
