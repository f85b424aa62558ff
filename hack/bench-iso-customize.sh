#!/usr/bin/env bash
# Benchmark `iso customize --live-ignition … [-o OUT]` on CoreOS-shaped ISOs of 100 MB and 1 GB (xorriso-made,
# zero-filled payload, real embed areas). Prints wall time and peak RSS of in-place vs -o runs.
# Not a test. Usage: hack/bench-iso-customize.sh [SIZE_MB ...]   (default: 100 1024)
# Needs: node, xorriso, xz, /usr/bin/time; about 3× the largest size free under $BENCH_DIR (default: a temp dir).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1024)
for tool in node xorriso xz /usr/bin/time; do command -v "$tool" >/dev/null || die "missing $tool"; done

work="$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/day0-bench-XXXXXX")"
build="$DAY0_ROOT/.cache/bench-build"   # inside the checkout so that node_modules resolves
trap 'rm -rf "$work" "$build"' EXIT

log "compiling src/live/customize.ts and its imports into $build"
rm -rf "$build"
(cd "$DAY0_ROOT" && npx --no-install tsc --ignoreConfig --outDir "$build" --rootDir src --module nodenext --moduleResolution nodenext \
  --target es2022 --lib es2023 --types node --strict --skipLibCheck --sourceMap false src/live/customize.ts)

cat > "$work/stage.mjs" <<'EOF'
// Stage a CoreOS-shaped ISO tree: igninfo.json + 256 KiB ignition.img, kargs.json + grub/isolinux areas.
import { mkdirSync, writeFileSync, truncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
const [dir, payloadMb] = process.argv.slice(2);
const put = (p, data) => { mkdirSync(dirname(join(dir, p)), { recursive: true }); writeFileSync(join(dir, p), data); };
const kargs = 'coreos.liveiso=DAY0BENCH ignition.firstboot ignition.platform.id=metal';
const size = 1024;
const area = `${kargs}\n`.padEnd(size, '#');
const grubPrefix = 'menuentry live {\n  linux /images/pxeboot/vmlinuz ';
const isoPrefix = 'label live\n  append initrd=/images/pxeboot/initrd.img,/images/ignition.img ';
put('EFI/BOOT/grub.cfg', `${grubPrefix}${area} COREOS_KARG_EMBED_AREA\n}\n`);
put('isolinux/isolinux.cfg', `${isoPrefix}${area} COREOS_KARG_EMBED_AREA\n`);
put('coreos/igninfo.json', '{"file": "images/ignition.img"}\n');
put('coreos/kargs.json', JSON.stringify({ default: kargs, size, files: [
  { path: 'EFI/BOOT/grub.cfg', offset: grubPrefix.length }, { path: 'isolinux/isolinux.cfg', offset: isoPrefix.length }] }));
put('images/ignition.img', Buffer.alloc(262144));
put('images/pxeboot/rootfs.img', '');
truncateSync(join(dir, 'images/pxeboot/rootfs.img'), Number(payloadMb) * 1024 * 1024);
EOF

cat > "$work/run.mjs" <<'EOF'
const [build, iso, config, output] = process.argv.slice(2);
const { isoCustomize } = await import(`${build}/live/customize.js`);
const t0 = performance.now();
await isoCustomize(iso, { liveIgnition: [config], force: true, ...(output ? { output } : {}) });
process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(3)}\n`);
EOF

printf '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA bench"]}]}}\n' \
  > "$work/config.ign"

run() { # run LABEL ISO [OUTPUT] → one result line
  local label="$1" iso="$2" out="${3:-}" res secs rss
  res="$(/usr/bin/time -f '%M' node "$work/run.mjs" "$build" "$iso" "$work/config.ign" $out 2>"$work/time.err")" \
    || { cat "$work/time.err" >&2; die "$label failed"; }
  secs="$res"; rss="$(tail -1 "$work/time.err")"
  printf '  %-28s %8.3f s   peak RSS %6d MB\n' "$label" "$secs" "$((rss / 1024))"
}

for mb in "${sizes[@]}"; do
  stage="$work/stage-$mb"; iso="$work/base-$mb.iso"
  node "$work/stage.mjs" "$stage" "$mb"
  xorriso -as mkisofs -R -J -V DAY0BENCH -o "$iso" "$stage" 2>/dev/null
  rm -rf "$stage"; sync "$iso"   # so the first in-place fsync does not pay for xorriso's dirty pages
  bytes="$(stat -c %s "$iso")"
  echo "ISO of $((bytes / 1024 / 1024)) MB ($bytes bytes):"
  run "in place" "$iso"
  run "in place (again, forced)" "$iso"
  run "-o (copy + patch + rename)" "$iso" "$work/out-$mb.iso"
  cmp -s <(head -c 32768 "$iso") <(head -c 32768 "$work/out-$mb.iso") || die "output differs in its system area"
  rm -f "$work/out-$mb.iso" "$iso"
done
echo "(in place writes only the embed areas; -o copies the ISO with copy_file_range/reflink where the filesystem can)"
