# Runs one case of the bad-input corpus (tests/corpus/README.md) through the golden runner
# tests/cli/run_case.cmake, on a private copy of the store the case names, and then checks that
# the failed command changed nothing: the store equal byte for byte to what it was before (or,
# with a `store_after` file, to the input it names), no file left beside it, none in the case's
# scratch folder.
#
# -DBIN= -DCASE= -DTMP= -DINPUTS=generated inputs -DPYTHON= -DVALIDATE= -DRUN_CASE=run_case.cmake
cmake_minimum_required(VERSION 3.25)

set(store_name "clean.sqlite")
if(EXISTS "${CASE}/store")
    file(STRINGS "${CASE}/store" store_name LIMIT_COUNT 1)
endif()
set(store_dir "${TMP}.store")
file(REMOVE_RECURSE "${store_dir}")
file(MAKE_DIRECTORY "${store_dir}")
set(store "${store_dir}/${store_name}")
file(COPY "${INPUTS}/${store_name}" DESTINATION "${store_dir}")
if(EXISTS "${INPUTS}/${store_name}-journal")
    file(COPY "${INPUTS}/${store_name}-journal" DESTINATION "${store_dir}")
endif()
file(SHA256 "${store}" before)
if(EXISTS "${CASE}/store_after")
    file(STRINGS "${CASE}/store_after" after_name LIMIT_COUNT 1)
    file(SHA256 "${INPUTS}/${after_name}" before)
endif()

# @CLEAN@ is the case's store, @DATA@ the generated inputs; the other placeholders are unused.
set(CLEAN "${store}")
set(DATA "${INPUTS}")
set(SAMPLE "${INPUTS}/no-sample")
set(STORE "${INPUTS}/no-sample-store")
include("${RUN_CASE}") # stops with FATAL_ERROR when exit code, stdout or stderr differ

set(problems "")
file(SHA256 "${store}" after)
if(NOT after STREQUAL before)
    string(APPEND problems "  the store changed (sha256 ${before} before, ${after} after)\n")
endif()
file(GLOB beside RELATIVE "${store_dir}" "${store_dir}/*")
list(REMOVE_ITEM beside "${store_name}")
if(beside)
    string(APPEND problems "  files left beside the store: ${beside}\n")
endif()
file(GLOB written RELATIVE "${TMP}" "${TMP}/*" "${TMP}/.*")
if(written)
    string(APPEND problems "  files written in the working folder: ${written}\n")
endif()
if(problems)
    message(FATAL_ERROR "case ${CASE}: the refused command left traces:\n${problems}")
endif()
