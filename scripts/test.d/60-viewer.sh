# Sourced by scripts/test after the build. The web viewer's end-to-end test (CTest: viewer_e2e)
# needs Debian's chromium, node with npm, and viewer/'s npm packages: install them, copy MapLibre
# into the build's viewer folder, and make the test required, so that here a missing piece fails
# it instead of skipping it as in a developer's partial setup.
ensure_debian_packages chromium fonts-noto-cjk
ensure_node
log "installing the viewer's npm packages (npm ci in viewer/)"
(cd "$LANDCLEAR_ROOT/viewer" && npm ci --no-audit --no-fund --loglevel=error)
cmake --build --preset release --target landclear_viewer
export LANDCLEAR_E2E_REQUIRED=1
