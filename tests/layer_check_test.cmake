# CTest `layer_check`: the layer rule holds on the tree, and the check refuses a planted upward
# include (core/ including report/) and a planted GDAL include in an analysis/ header, naming the
# file and the include.  cmake -DROOT=<source> -DWORK=<scratch folder> -P layer_check_test.cmake
set(check ${ROOT}/cmake/check_layers.cmake)
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${ROOT} -P ${check} RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the tree breaks the layer rule:\n${err}")
endif()

function(expect_refused case file line expected)
    set(copy ${WORK}/${case})
    file(REMOVE_RECURSE ${copy})
    file(COPY ${ROOT}/engine/src ${ROOT}/engine/cli DESTINATION ${copy}/engine)
    file(READ ${copy}/engine/src/landclear/${file} text)
    file(WRITE ${copy}/engine/src/landclear/${file} "${line}\n${text}")
    execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${copy} -P ${check} RESULT_VARIABLE rc
                    ERROR_VARIABLE err)
    if(rc EQUAL 0)
        message(FATAL_ERROR "${case}: the check accepted `${line}` in ${file}")
    endif()
    string(FIND "${err}" "${file}: ${line}: ${expected}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "${case}: the message does not name ${file}, the include and why:\n${err}")
    endif()
    message(STATUS "${case}: refused as expected")
endfunction()

expect_refused(upward core/units.hpp "#include \"landclear/report/table.hpp\""
               "core/ may not include report/ (a higher layer)")
expect_refused(third_party analysis/status.hpp "#include <ogr_geometry.h>"
               "analysis/ headers may not expose GDAL, GEOS or SQLite types")
expect_refused(geos_call analysis/status.cpp "static int g = GEOSversion_r(nullptr);"
               "GEOS's C API outside geom/ (use Geos's methods)")
expect_refused(private_detail render/map_data.cpp
               "#include \"landclear/analysis/detail/parcel_geometries.hpp\""
               "analysis/detail/ is private to analysis/")
