# Assembles the served viewer folder: the page's own files from src/ and Leaflet's dist/ from
# node_modules (installed by `npm ci` in viewer/; scripts/test does it). Run by the
# landclear_viewer target with -DSRC=viewer/src -DMODULES=viewer/node_modules -DOUT=<build>/viewer.
# Without node_modules the page is copied alone and `landclear serve` says what is missing.
file(MAKE_DIRECTORY "${OUT}")
file(COPY "${SRC}/" DESTINATION "${OUT}")
set(leaflet "${MODULES}/leaflet/dist")
if(EXISTS "${leaflet}/leaflet.js")
    file(MAKE_DIRECTORY "${OUT}/vendor/leaflet")
    file(COPY "${leaflet}/leaflet.js" "${leaflet}/leaflet.css" "${leaflet}/images"
         DESTINATION "${OUT}/vendor/leaflet")
    file(COPY "${MODULES}/leaflet/LICENSE" DESTINATION "${OUT}/vendor/leaflet")
else()
    message(STATUS "viewer: ${leaflet} not found; run `npm ci` in viewer/ and build again")
endif()
