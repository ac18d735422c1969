# Shared by scripts/demo, scripts/test and the benchmarks: installs what is missing (Debian
# packages, idempotently) and builds with the release preset. Source it; do not run it.
set -euo pipefail

LANDCLEAR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export LANDCLEAR_ROOT

# Everything the engine, its tests and the sample generator need to build and run (clang and its
# runtime: the libFuzzer harnesses of tests/fuzz).
LANDCLEAR_BUILD_PACKAGES=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    libgdal-dev gdal-bin libgeos-dev libproj-dev proj-bin proj-data
    libspatialite-dev libsqlite3-mod-spatialite spatialite-bin libsqlite3-dev sqlite3
    libpq-dev postgresql-15 postgresql-15-postgis-3
    libboost-test-dev libcli11-dev nlohmann-json3-dev libfmt-dev
    libxlsxwriter-dev libcpp-httplib-dev libutf8proc-dev libuchardet-dev libssl-dev
    libprotozero-dev libdeflate-dev libmimalloc-dev
    libcairo2-dev libpango1.0-dev fonts-noto-cjk poppler-utils
    python3
    clang libclang-rt-14-dev
)

# Each line carries the seconds since the script started, so a CI log shows where the time went.
log() { printf '\033[1m==> [%4ds] %s\033[0m\n' "$SECONDS" "$*" >&2; }

# ensure_debian_packages PKG...: installs the ones not yet installed; as non-root prints the
# exact command and stops.
ensure_debian_packages() {
    local missing=()
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "landclear needs these Debian packages: ${missing[*]}" >&2
        echo "Run as root (or with sudo), then run this script again:" >&2
        echo "  sudo sh -c '$cmd'" >&2
        exit 1
    fi
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Node.js and npm for the web viewer's tests: Debian's packages unless a node with npm exists.
ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        return 0
    fi
    ensure_debian_packages nodejs npm
}

build_release() {
    ensure_debian_packages "${LANDCLEAR_BUILD_PACKAGES[@]}"
    log "configuring and building (preset release)"
    cd "$LANDCLEAR_ROOT"
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)"
}

LANDCLEAR_BIN="$LANDCLEAR_ROOT/build/release/engine/landclear"
LANDCLEAR_SAMPLE_BIN="$LANDCLEAR_ROOT/build/release/tools/landclear-sample"
