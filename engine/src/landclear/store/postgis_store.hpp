#pragma once
// The PostGIS store: a schema in a PostgreSQL database holding what a SpatiaLite store holds.
// open_store() / store_exists() (store.hpp) come here for a PostgreSQL location
// (pg.hpp: `postgresql://...?schema=NAME` or `service=NAME schema=NAME`).
#include "landclear/store/store.hpp"

#include <functional>
#include <memory>
#include <string>

namespace landclear {

bool is_postgis_location(const std::string& location);
std::unique_ptr<Store> open_postgis_store(const std::string& location, StoreMode mode);
bool postgis_store_exists(const std::string& location);

// Called when a write (an import, a corridor or check saving its results) has to wait for
// another one into the same store, with the message to show ("waiting for another import into
// ... (since ...)"). The library never prints: the command line installs a handler that does.
void set_store_wait_handler(std::function<void(const std::string&)> handler);

} // namespace landclear
