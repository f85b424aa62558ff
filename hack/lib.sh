# Shared helpers for day0's hack/ scripts. Source it; do not run it.
set -euo pipefail

DAY0_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DAY0_CACHE="${DAY0_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/day0}"
DAY0_REGISTRY="${DAY0_REGISTRY:-localhost:5000}"
export DAY0_ROOT DAY0_CACHE DAY0_REGISTRY
mkdir -p "$DAY0_CACHE"

log() { printf '\033[1m[day0/hack]\033[0m %s\n' "$*" >&2; }
die() { printf '[day0/hack] error: %s\n' "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "this step must run as root (try: sudo $0)"; }

# Hash of files/dirs given as arguments (content + relative path), short form.
input_hash() {
  local f
  for f in "$@"; do
    if [ -d "$f" ]; then
      (cd "$f" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    else
      printf '%s\n' "$f"; sha256sum < "$f"
    fi
  done | sha256sum | cut -c1-16
}

image_exists() { podman image exists "$1"; }

# Run a step only when its stamp file is missing.
stamp_done() { [ -e "$DAY0_CACHE/stamps/$1" ]; }
stamp_set() { mkdir -p "$DAY0_CACHE/stamps"; touch "$DAY0_CACHE/stamps/$1"; }
