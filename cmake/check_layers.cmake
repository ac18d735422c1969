# The layer rule of docs/ARCHITECTURE.md, checked on the sources: a file in one layer folder of
# engine/src/landclear/ may include only landclear headers of the layers below it; a header
# outside io/, geom/ and store/ names no GDAL, GEOS or SQLite type; GEOS's C API is called in
# geom/ only; <layer>/detail/ headers are private to their layer. Run at configure time (the
# build fails naming the file and the offending line) and as the CTest test `layer_check`, which
# also plants each kind of violation in a copy and expects this script to refuse it.
#   cmake -DROOT=<folder holding engine/> -P cmake/check_layers.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
    message(FATAL_ERROR "check_layers: pass -DROOT=<source folder>")
endif()

# Each layer and the layers it may include (itself included).
set(allowed_core     core)
set(allowed_io       core io)
set(allowed_geom     core io geom)
set(allowed_store    core io geom store)
set(allowed_analysis core io geom store analysis)
set(allowed_report   core io geom store analysis report)
set(allowed_render   core io geom store analysis report render)
set(allowed_server   core io geom store analysis report render server)
set(allowed_cli      core io geom store analysis report render server)
set(layers core io geom store analysis report render server)
# Headers that carry third-party C types: only io/, geom/ and store/ headers may include them.
set(third_party_regex "#include[ \t]*[<\"](gdal|ogr_|ogrsf_|cpl_|geos_c|sqlite3|spatialite)[^>\"]*[>\"]|#include[ \t]*\"landclear/(geom/geos|store/sqlite|io/gdal_util)\\.hpp\"")
set(third_party_layers io geom store)

# GEOS's C API is used inside geom/ only; the layers above call the Geos wrapper's methods, so a
# GEOS error always carries GEOS's message and ownership stays in GeomPtr.
set(geos_call_regex "GEOS[A-Za-z_]*_r[ \t]*\\(|geos\\.handle\\(\\)|#include[ \t]*<geos_c\\.h>")

set(problems "")
set(src ${ROOT}/engine/src/landclear)
file(GLOB_RECURSE files RELATIVE ${src} ${src}/*.hpp ${src}/*.cpp)
file(GLOB cli_files RELATIVE ${ROOT}/engine ${ROOT}/engine/cli/*.hpp ${ROOT}/engine/cli/*.cpp)
foreach(f IN LISTS files cli_files)
    if(f MATCHES "^cli/")
        set(layer cli)
        set(path ${ROOT}/engine/${f})
    else()
        string(REGEX MATCH "^[^/]+" layer "${f}")
        set(path ${src}/${f})
        if(NOT layer IN_LIST layers)
            string(APPEND problems "  ${path}: not in a layer folder (${layers})\n")
            continue()
        endif()
    endif()
    if(NOT layer STREQUAL geom)
        file(STRINGS ${path} geos_lines REGEX "${geos_call_regex}")
        foreach(line IN LISTS geos_lines)
            string(STRIP "${line}" line)
            string(APPEND problems "  ${path}: ${line}: GEOS's C API outside geom/ (use Geos's methods)\n")
        endforeach()
    endif()
    file(STRINGS ${path} lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
        if(line MATCHES "\"landclear/([a-z_]+)/detail/" AND NOT CMAKE_MATCH_1 STREQUAL layer)
            string(STRIP "${line}" line)
            string(APPEND problems
                   "  ${path}: ${line}: ${CMAKE_MATCH_1}/detail/ is private to ${CMAKE_MATCH_1}/\n")
        endif()
        if(line MATCHES "\"landclear/([a-z_]+)/")
            set(target ${CMAKE_MATCH_1})
            if(NOT target IN_LIST allowed_${layer})
                string(STRIP "${line}" line)
                string(APPEND problems
                       "  ${path}: ${line}: ${layer}/ may not include ${target}/ (a higher layer)\n")
            endif()
        elseif(line MATCHES "\"landclear/[a-z_]+\\.hpp\"")
            string(STRIP "${line}" line)
            string(APPEND problems "  ${path}: ${line}: include a header by its layer folder\n")
        endif()
        # Private headers (<layer>/detail/) serve their own layer's sources only.
        if(f MATCHES "\\.hpp$" AND NOT f MATCHES "/detail/" AND NOT layer IN_LIST third_party_layers AND NOT layer STREQUAL cli
           AND line MATCHES "${third_party_regex}")
            string(STRIP "${line}" line)
            string(APPEND problems
                   "  ${path}: ${line}: ${layer}/ headers may not expose GDAL, GEOS or SQLite types\n")
        endif()
    endforeach()
endforeach()

if(problems)
    message(FATAL_ERROR "layer check failed (docs/ARCHITECTURE.md):\n${problems}")
endif()
