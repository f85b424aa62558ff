#!/usr/bin/env bash
# Benchmark (not a test): day0's disk build of raw (metal) + qcow2 (qemu) from the demo layered image, against the
# sum of the same standalone tool runs on the same tree (mkfs.fat+mcopy, mkfs.ext4 -d, mkfs.xfs + loop-mount cp,
# truncate, sfdisk, dd, grub-mkimage + boot.img, qemu-img convert, sha256) in one builder container; and the
# peak RSS of the day0 process (/usr/bin/time -v). Prints figures; changes nothing outside its temp dirs.
#
#   bash hack/bench-disk.sh [image-ref]        (default localhost:5000/day0/demo-layered:latest)
# Needs: the builder image, the demo image in local storage (bash hack/demo-images.sh), podman, node, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${1:-localhost:5000/day0/demo-layered:latest}
BUILDER=${DAY0_BUILDER_IMAGE:-localhost/day0/builder:latest}
TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || { echo "bench-disk: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 2; }

id=$(podman image inspect --format '{{.Id}}' "$REF") || { echo "bench-disk: $REF not in local storage (bash hack/demo-images.sh)" >&2; exit 2; }
cache=${DAY0_TEST_CACHE:-/var/tmp/day0-test}/rootfs-${id:0:16}
if [ ! -e "$cache/.complete" ]; then
  echo "exporting $REF to $cache …"
  rm -rf "$cache"; mkdir -p "$cache/rootfs.tmp"
  cid=$(podman create "$REF" /bin/true)
  podman export "$cid" | tar -C "$cache/rootfs.tmp" --numeric-owner --xattrs --xattrs-include='*' -xpf -
  podman rm -f "$cid" >/dev/null
  mv "$cache/rootfs.tmp" "$cache/rootfs"; touch "$cache/.complete"
fi
ROOTFS=$cache/rootfs
work=$(mktemp -d /var/tmp/day0-bench-disk.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "compiling day0 into $work/dist …"
npx tsc -p tsconfig.json --outDir "$work/dist" >/dev/null
ln -s "$PWD/node_modules" "$work/node_modules"
ln -s "$PWD/profiles" "$work/profiles"
echo '{"type":"module"}' > "$work/package.json"

# --- day0: raw + qcow2 -------------------------------------------------------------------------------------------
cat > "$work/run.mjs" <<'EOF'
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
const [dist, rootfs, out] = process.argv.slice(2);
const { makeContext } = await import(join(dist, 'cli/context.js'));
const { buildDiskImages } = await import(join(dist, 'disk/build.js'));
const modules = join(rootfs, 'usr/lib/modules');
const version = readdirSync(modules).sort().at(-1);
const kernel = { version, vmlinuz: join(modules, version, 'vmlinuz'), initramfs: join(modules, version, 'initramfs.img'), initramfsSize: statSync(join(modules, version, 'initramfs.img')).size };
const digest = `sha256:${'0'.repeat(64)}`;
const bootable = { image: { input: 'bench', pinned: 'bench', digest, arch: 'x86_64', layoutDir: '', layoutTag: '', labels: {}, layers: [], bytesPulled: 0 },
  rootfs, kernel, kernels: [kernel], osRelease: { NAME: 'bench' }, unpackCached: true };
const ctx = await makeContext('x86_64');
const t0 = process.hrtime.bigint();
const r = await buildDiskImages(ctx, bootable, { formats: ['metal', 'qemu'], outDir: out, name: 'bench', ignition: Buffer.from('{"ignition":{"version":"3.3.0"}}') });
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`DAY0_SECONDS ${s.toFixed(2)}`);
console.log(`DAY0_PIPELINES ${JSON.stringify(r.timings)}`);
EOF
echo "day0 build (metal raw + qemu qcow2) …"
"$TIME_BIN" -v -o "$work/time.txt" env DAY0_PROFILES_DIR="$PWD/profiles" node "$work/run.mjs" "$work/dist" "$ROOTFS" "$work/out" > "$work/day0.txt"
day0_s=$(awk '/^DAY0_SECONDS/ {print $2}' "$work/day0.txt")
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
rm -rf "$work/out"

# --- the same tools, standalone, one builder container ----------------------------------------------------------
cat > "$work/tools.sh" <<'EOF'
set -eu
R=$1 W=$2
k=$(ls "$R/usr/lib/modules" | sort | tail -1)
t() { name=$1; shift; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v n="$name" -v s="$s" -v e="$e" 'BEGIN { printf "TOOL %s %.3f\n", n, e - s }'; }
mib=1048576
mkdir -p "$W/esp/EFI/BOOT" "$W/boot/grub2/i386-pc" "$W/mnt"
t grub-mkimage-efi grub-mkimage -d /usr/lib/grub/x86_64-efi -O x86_64-efi -p /EFI/BOOT -o "$W/esp/EFI/BOOT/BOOTX64.EFI" part_gpt fat ext2 xfs normal configfile search search_label linux echo test serial terminal
echo 'configfile (hd0,gpt3)/grub2/grub.cfg' > "$W/esp/EFI/BOOT/grub.cfg"
t boot-tree sh -c "cp -a '$R/usr/lib/modules/$k/vmlinuz' '$W/boot/vmlinuz-$k' && cp -a '$R/usr/lib/modules/$k/initramfs.img' '$W/boot/initramfs-$k.img' && cp -a /usr/lib/grub/i386-pc/. '$W/boot/grub2/i386-pc/' && echo x > '$W/boot/grub2/grub.cfg' && touch '$W/boot/ignition.firstboot'"
t mkfs.fat+mcopy sh -c "truncate -s $((127*mib)) '$W/esp.img' && mkfs.fat -S 512 -n EFI-SYSTEM '$W/esp.img' >/dev/null && MTOOLS_SKIP_CHECK=1 mcopy -Q -s -p -m -i '$W/esp.img' '$W/esp/EFI' ::/"
t mkfs.ext4-d sh -c "truncate -s $((384*mib)) '$W/boot.img' && mkfs.ext4 -q -F -L boot -O ^metadata_csum_seed,^orphan_file -d '$W/boot' '$W/boot.img'"
t mkfs.xfs+cp sh -c "truncate -s $((3582*mib)) '$W/root.img' && mkfs.xfs -q -f -L root '$W/root.img' && mount -o loop '$W/root.img' '$W/mnt' && cp -a '$R'/. '$W/mnt'/ && umount '$W/mnt'"
for d in metal qemu; do
  t truncate-$d truncate -s $((4096*mib)) "$W/$d.raw"
  printf 'label: gpt\nstart=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name="BIOS-BOOT"\nstart=4096, size=260096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI-SYSTEM"\nstart=264192, size=786432, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="boot"\nstart=1050624, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"\n' > "$W/pt"
  t sfdisk-$d sh -c "sfdisk -q --no-reread --no-tell-kernel '$W/$d.raw' < '$W/pt'"
  t dd-esp-$d dd if="$W/esp.img" of="$W/$d.raw" bs=1M seek=2 conv=notrunc,sparse status=none
  t dd-boot-$d dd if="$W/boot.img" of="$W/$d.raw" bs=1M seek=129 conv=notrunc,sparse status=none
  t dd-root-$d dd if="$W/root.img" of="$W/$d.raw" bs=1M seek=513 conv=notrunc,sparse status=none
  t grub-core-$d sh -c "grub-mkimage -d /usr/lib/grub/i386-pc -O i386-pc -p '(,gpt3)/grub2' -o '$W/core.img' biosdisk part_gpt ext2 && dd if='$W/core.img' of='$W/$d.raw' bs=512 seek=2048 conv=notrunc status=none && dd if=/usr/lib/grub/i386-pc/boot.img of='$W/$d.raw' bs=440 count=1 conv=notrunc status=none"
done
t qemu-img-qcow2 qemu-img convert -f raw -O qcow2 -o compat=1.1 "$W/qemu.raw" "$W/qemu.qcow2"
t sha256 sh -c "openssl dgst -sha256 -r '$W/metal.raw' '$W/qemu.qcow2' >/dev/null"
EOF
echo "standalone tool runs on the same tree …"
mkdir -p "$work/tools"
podman run --rm --pull=never --privileged --network=none --security-opt label=disable -v /dev:/dev \
  -v "$work:$work" -v "$ROOTFS:$ROOTFS:ro" "$BUILDER" sh "$work/tools.sh" "$ROOTFS" "$work/tools" > "$work/tools.txt"
sum=$(awk '/^TOOL/ {s += $3} END {printf "%.2f", s}' "$work/tools.txt")

echo
echo "== day0 disk build: metal raw + qemu qcow2 (demo layered image, $(du -sh "$ROOTFS" | cut -f1) tree) =="
printf '%-34s %8s s\n' "day0 buildDiskImages" "$day0_s"
printf '%-34s %8s\n' "day0 process wall clock" "$wall"
printf '%-34s %8s MiB\n' "day0 process peak RSS" "$((rss_kb / 1024))"
printf '%-34s %8s s\n' "sum of standalone tool runs" "$sum"
awk -v a="$day0_s" -v b="$sum" 'BEGIN { printf "%-34s %8.2f s (%+.0f%%)\n", "day0 overhead", a - b, (a - b) / b * 100 }'
echo "-- standalone tools (s):"
awk '/^TOOL/ {printf "   %-28s %8.2f\n", $2, $3}' "$work/tools.txt"
echo "-- day0 pipelines (s): $(awk '/^DAY0_PIPELINES/ {print $2}' "$work/day0.txt")"
