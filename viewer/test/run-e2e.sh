#!/bin/sh
# CTest's entry to the viewer's end-to-end test (e2e.test.mjs, node's built-in runner). Exits 77
# (CTest: skipped) when node, chromium or viewer/node_modules are missing, as in a developer's
# partial setup; scripts/test installs them and sets LANDCLEAR_E2E_REQUIRED=1, so there a
# missing piece fails instead.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
viewer=$(dirname "$here")
skip() {
    if [ "${LANDCLEAR_E2E_REQUIRED:-0}" = 1 ]; then
        echo "viewer_e2e: $1" >&2
        exit 1
    fi
    echo "viewer_e2e: skipped: $1" >&2
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed (./scripts/test installs it)"
[ -x "${LANDCLEAR_CHROMIUM:-/usr/bin/chromium}" ] ||
    skip "chromium is not installed (apt-get install chromium)"
[ -d "$viewer/node_modules/playwright-core" ] ||
    skip "viewer/node_modules is missing (run npm ci in viewer/)"
[ -f "${LANDCLEAR_VIEWER_DIR:-}/vendor/maplibre/maplibre-gl.mjs" ] ||
    skip "the built viewer has no MapLibre (npm ci in viewer/, then rebuild landclear_viewer)"
cd "$viewer"
exec node --test "test/${1:-e2e}.test.mjs"
