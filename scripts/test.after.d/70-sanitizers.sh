# Sourced by scripts/test after the suite: the whole suite again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (the debug preset), clean: UBSan stops a test at its first finding
# instead of printing it and going on, ASan and LeakSanitizer fail the test that hits one.
# tests/sanitizers/ holds the suppressions (third-party only, each with its reason).
# LANDCLEAR_TEST_SANITIZERS=0 skips it.
if [ "${LANDCLEAR_TEST_SANITIZERS:-1}" != 0 ]; then
    log "building with AddressSanitizer + UBSan (preset debug)"
    cmake --preset debug >/dev/null
    cmake --build --preset debug -j "$(nproc)"
    if [ -d "$LANDCLEAR_ROOT/viewer/node_modules" ]; then
        cmake --build --preset debug --target landclear_viewer
    fi
    supp="$LANDCLEAR_ROOT/tests/sanitizers"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    exclude=$(grep -v '^#' "$supp/excluded" | grep . | paste -sd'|')
    log "running the test suite under the sanitizers (left out, see tests/sanitizers/excluded: ${exclude:-none})"
    (cd "$LANDCLEAR_ROOT" && ctest --preset debug -j "$(nproc)" ${exclude:+-E "^($exclude)\$"})
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi
