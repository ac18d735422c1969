# Makes a store for the golden CLI cases (tests/cli/README.md), from scratch each time:
# WHICH=sample imports the four layers of data/sample.gpkg; WHICH=clean the small hand-made
# layers of tests/cli/data (two parcels, one building, one road, one project, EPSG:4547).
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
else()
    message(FATAL_ERROR "fixture.cmake: WHICH=sample or clean")
endif()
execute_process(COMMAND "${BIN}" import "${STORE}" ${args} --quiet
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "import failed (${rc}):\n${out}${err}")
endif()
message("${out}")
