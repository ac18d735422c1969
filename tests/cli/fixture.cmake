# Makes a store for the golden CLI cases (tests/cli/README.md), from scratch each time:
# WHICH=sample imports the four layers of data/sample.gpkg; WHICH=clean the small hand-made
# layers of tests/cli/data (two parcels, one building, one road, one project, EPSG:4547);
# WHICH=weeks the clean layers as two weekly imports (reported 2025-03-07 and 2025-03-14);
# WHICH=plans the clean layers with the plan tests/cli/data/plan_clean.csv (reported 2025-01-01).
# -DBIN=landclear -DSTORE=path -DSAMPLE=data/sample.gpkg -DDATA=tests/cli/data -DWHICH=
cmake_minimum_required(VERSION 3.25)
file(REMOVE "${STORE}")
get_filename_component(dir "${STORE}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
if(WHICH STREQUAL "sample")
    set(args --parcels "${SAMPLE}:parcels" --buildings "${SAMPLE}:buildings"
             --corridors "${SAMPLE}:corridors" --projects "${SAMPLE}:projects")
elseif(WHICH STREQUAL "clean")
    set(args --parcels "${DATA}/parcels.geojson" --buildings "${DATA}/buildings.geojson"
             --corridors "${DATA}/corridors.geojson" --projects "${DATA}/projects.geojson"
             --s-crs EPSG:4547 --crs EPSG:4547)
elseif(WHICH STREQUAL "weeks")
    # The clean layers reported on 2025-03-07, then a second week (reported 2025-03-14) in which
    # T-2 is cleared on 2025-03-10 (parcels_week2.geojson, imported with --update).
    set(args --parcels "${DATA}/parcels.geojson" --buildings "${DATA}/buildings.geojson"
             --corridors "${DATA}/corridors.geojson" --projects "${DATA}/projects.geojson"
             --s-crs EPSG:4547 --crs EPSG:4547 --reported 2025-03-07)
    set(week2 --update --parcels "${DATA}/parcels_week2.geojson" --s-crs EPSG:4547
              --reported 2025-03-14)
elseif(WHICH STREQUAL "plans")
    set(args --parcels "${DATA}/parcels.geojson" --buildings "${DATA}/buildings.geojson"
             --corridors "${DATA}/corridors.geojson" --projects "${DATA}/projects.geojson"
             --s-crs EPSG:4547 --crs EPSG:4547 --reported 2025-01-01)
    set(plan "${DATA}/plan_clean.csv")
else()
    message(FATAL_ERROR "fixture.cmake: WHICH=sample, clean, weeks or plans")
endif()
execute_process(COMMAND "${BIN}" import "${STORE}" ${args} --quiet
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "import failed (${rc}):\n${out}${err}")
endif()
message("${out}")
if(week2)
    execute_process(COMMAND "${BIN}" import "${STORE}" ${week2} --quiet
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "the second week's import failed (${rc}):\n${out}${err}")
    endif()
    message("${out}")
endif()
if(plan)
    execute_process(COMMAND "${BIN}" plan import "${STORE}" "${plan}" --reported 2025-01-01
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "the plan import failed (${rc}):\n${out}${err}")
    endif()
    message("${out}")
endif()
