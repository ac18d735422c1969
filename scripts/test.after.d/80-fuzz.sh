# Sourced by scripts/test after the suite: the libFuzzer harnesses of tests/fuzz, built by the
# fuzz preset (clang; core, io and geom only) and run LANDCLEAR_FUZZ_SECONDS each (default 10)
# from their seed corpora, with libFuzzer's seed fixed (LANDCLEAR_FUZZ_SEED, default 1, so
# that CI's short run is the start of a longer one here). LANDCLEAR_TEST_FUZZ=0 skips it;
# docs/RELIABILITY.md has the long run.
if [ "${LANDCLEAR_TEST_FUZZ:-1}" != 0 ]; then
    log "building the fuzz harnesses (preset fuzz, clang)"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "$(nproc)"
    log "fuzzing, ${LANDCLEAR_FUZZ_SECONDS:-10} s per harness"
    LANDCLEAR_FUZZ_SEED="${LANDCLEAR_FUZZ_SEED:-1}" "$LANDCLEAR_ROOT/tests/fuzz/run" "$LANDCLEAR_ROOT/build/fuzz" "${LANDCLEAR_FUZZ_SECONDS:-10}"
fi
