#!/usr/bin/env bash
# Benchmark (not a test): image intake of the demo layered image — pull, unpack and boot-contract time and
# throughput, cold (empty cache) and warm (same digest again). Prints figures; changes nothing outside a temp dir.
#
#   bash hack/bench-intake.sh [REF] [COLD_RUNS] [WARM_RUNS]
#   REF default: localhost:5000/day0/demo-layered:latest (add TLS_VERIFY=true for a TLS registry)
source "$(dirname "$0")/lib.sh"
ref="${1:-$DAY0_REGISTRY/day0/demo-layered:latest}"
cold_runs="${2:-2}"
warm_runs="${3:-3}"
case "$ref" in localhost:5000/*|127.0.0.1:5000/*|docker://localhost:5000/*) "$DAY0_ROOT/hack/registry.sh" ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/day0-bench-intake-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Compile into the temp dir (not dist/, which others may be building).
(cd "$DAY0_ROOT" && npx --no-install tsc -p tsconfig.json --outDir "$tmp/build" >/dev/null) || true
[ -f "$tmp/build/image/intake.js" ] || die "compiling day0 failed (npx tsc -p tsconfig.json)"
ln -s "$DAY0_ROOT/node_modules" "$tmp/node_modules"

cat > "$tmp/bench.mjs" <<'JS'
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
const b = process.env.BENCH_BUILD;
const { loadConfig } = await import(`${b}/config/config.js`);
const { makeExecutor } = await import(`${b}/executor/index.js`);
const { pullImage } = await import(`${b}/image/pull.js`);
const { unpackImage } = await import(`${b}/image/unpack.js`);
const { intake } = await import(`${b}/image/intake.js`);
const { treeSize, releaseEntry } = await import(`${b}/image/cache.js`);

const ref = process.env.BENCH_REF;
const opts = { arch: process.env.BENCH_ARCH ?? 'x86_64', tlsVerify: process.env.TLS_VERIFY === 'true' };
const ctx = { exec: makeExecutor(loadConfig()) };
const now = () => Number(process.hrtime.bigint()) / 1e9;
const MB = (n) => (n / 1e6).toFixed(1);
const rows = [];

for (let i = 1; i <= Number(process.env.COLD_RUNS); i++) {
  process.env.DAY0_CACHE = join(process.env.BENCH_TMP, `cache-${i}`);
  mkdirSync(process.env.DAY0_CACHE, { recursive: true });
  const t0 = now();
  const pulled = await pullImage(ctx, ref, opts);
  const t1 = now();
  const un = await unpackImage(ctx, pulled);
  const t2 = now();
  // Boot contract as intake does it (re-resolves the tag: one skopeo inspect; kernel, os-release, Ignition).
  const img = await intake(ctx, ref, opts);
  const ign = { version: img.ignitionVersion };
  const t3 = now();
  const unpacked = await treeSize(un.rootfs);
  const compressed = pulled.layers.reduce((a, l) => a + l.size, 0);
  rows.push({ run: `cold #${i}`, pull: t1 - t0, unpack: t2 - t1, boot: t3 - t2, total: t3 - t0, pulled: pulled.bytesPulled, compressed, unpacked, ign: ign.version });
  releaseEntry(pulled.digest.slice(7));
}
for (let i = 1; i <= Number(process.env.WARM_RUNS); i++) {
  const t0 = now();
  const img = await intake(ctx, ref, opts);
  const t1 = now();
  rows.push({ run: `warm #${i}`, total: t1 - t0, pulled: img.image.bytesPulled, unpackCached: img.unpackCached, ign: img.ignitionVersion });
}

console.log(`\nimage intake benchmark: ${ref} (${opts.arch}), executor ${ctx.exec.describe()}, ${(await import('node:os')).cpus().length} CPUs`);
console.log('run       pull s  MB/s(comp)  unpack s  MB/s(unpacked)  contract s  total s  pulled MB  notes');
for (const r of rows) {
  if (r.run.startsWith('cold')) {
    console.log(
      `${r.run.padEnd(8)}  ${r.pull.toFixed(2).padStart(6)}  ${MB(r.pulled / r.pull).padStart(10)}  ${r.unpack.toFixed(2).padStart(8)}  ${MB(r.unpacked / r.unpack).padStart(14)}  ${r.boot.toFixed(2).padStart(10)}  ${r.total.toFixed(2).padStart(7)}  ${MB(r.pulled).padStart(9)}  ` +
        `layers ${MB(r.compressed)} MB compressed → ${MB(r.unpacked)} MB on disk; Ignition ${r.ign ?? '?'}`,
    );
  } else {
    console.log(`${r.run.padEnd(8)}  ${'-'.padStart(6)}  ${'-'.padStart(10)}  ${'-'.padStart(8)}  ${'-'.padStart(14)}  ${'-'.padStart(10)}  ${r.total.toFixed(2).padStart(7)}  ${MB(r.pulled).padStart(9)}  unpack cached: ${r.unpackCached}`);
  }
}
JS

log "benchmarking intake of $ref: $cold_runs cold, $warm_runs warm"
BENCH_BUILD="$tmp/build" BENCH_TMP="$tmp" BENCH_REF="$ref" COLD_RUNS="$cold_runs" WARM_RUNS="$warm_runs" TLS_VERIFY="${TLS_VERIFY:-false}" \
  node "$tmp/bench.mjs"
