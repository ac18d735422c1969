# Sourced by scripts/test after the suite: the libFuzzer harnesses of tests/fuzz, built by the
# fuzz preset (clang; core, io and geom only) and run LANDCLEAR_FUZZ_SECONDS each (default 10)
# from their seed corpora. LANDCLEAR_TEST_FUZZ=0 skips it; docs/RELIABILITY.md has the long run.
if [ "${LANDCLEAR_TEST_FUZZ:-1}" != 0 ]; then
    log "building the fuzz harnesses (preset fuzz, clang)"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "$(nproc)"
    log "fuzzing, ${LANDCLEAR_FUZZ_SECONDS:-10} s per harness"
    "$LANDCLEAR_ROOT/tests/fuzz/run" "$LANDCLEAR_ROOT/build/fuzz" "${LANDCLEAR_FUZZ_SECONDS:-10}"
fi
