# The web map (docs/VIEWER.md): its front-end packages come from npm (viewer/package-lock.json),
# copied into the build next to the binary, where `landclear serve` finds them.
# Sourced by scripts/demo with $LANDCLEAR_BIN, $store and $out set.
ensure_node
log "installing the web map's npm packages (npm ci in viewer/)"
(cd "$LANDCLEAR_ROOT/viewer" && npm ci --no-audit --no-fund --loglevel=error)
cmake --build --preset release --target landclear_viewer >/dev/null
