# Assembles the served viewer folder: the page's own files from src/ and MapLibre GL JS's dist/
# from node_modules (installed by `npm ci` in viewer/; scripts/test does it). Run by the
# landclear_viewer target with -DSRC=viewer/src -DMODULES=viewer/node_modules -DOUT=<build>/viewer.
# Without node_modules the page is copied alone and `landclear serve` says what is missing.
file(MAKE_DIRECTORY "${OUT}")
file(COPY "${SRC}/" DESTINATION "${OUT}")
# Leaflet was the map library before the vector tiles: a build folder from then may still hold it.
file(REMOVE_RECURSE "${OUT}/vendor/leaflet")
set(maplibre "${MODULES}/maplibre-gl/dist")
if(EXISTS "${maplibre}/maplibre-gl.mjs")
    file(MAKE_DIRECTORY "${OUT}/vendor/maplibre")
    # The module, its worker (loaded from the same folder) and its stylesheet.
    file(COPY "${maplibre}/maplibre-gl.mjs" "${maplibre}/maplibre-gl-worker.mjs"
              "${maplibre}/maplibre-gl.css" DESTINATION "${OUT}/vendor/maplibre")
    file(COPY "${MODULES}/maplibre-gl/LICENSE.txt" DESTINATION "${OUT}/vendor/maplibre")
else()
    message(STATUS "viewer: ${maplibre} not found; run `npm ci` in viewer/ and build again")
endif()
