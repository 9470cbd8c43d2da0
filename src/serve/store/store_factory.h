// Opens the store named by `wgd serve --store URL`.
#pragma once

#include <memory>
#include <string_view>

#include "serve/store/store.h"

namespace wgd::serve {

// "sqlite:///var/lib/wgd/wgd.db", "sqlite:relative.db" or a plain path: a SqliteStore.
// "postgres://..." / "postgresql://...": not built yet (a clear error). Anything else with a
// "scheme://" is refused as unknown. Errors carry StoreErrorKind::kInvalid for a bad URL.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace wgd::serve
