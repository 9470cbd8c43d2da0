#include "serve/store/store_factory.h"

#include "serve/store/sqlite_store.h"

namespace wgd::serve {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  std::string_view path = url;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
    return store_fail(StoreErrorKind::kInvalid,
                      "store: PostgreSQL is not built into this wgd yet; use sqlite:///PATH");
  if (url.starts_with("sqlite://")) {
    path = url.substr(9);  // sqlite:///var/lib/wgd/wgd.db -> /var/lib/wgd/wgd.db
  } else if (url.starts_with("sqlite:")) {
    path = url.substr(7);
  } else if (url.find("://") != std::string_view::npos) {
    return store_failf(StoreErrorKind::kInvalid,
                       "store: unknown URL scheme in '{}' (use sqlite:///PATH or a path)",
                       url.substr(0, url.find("://")));
  }
  if (path.empty())
    return store_fail(StoreErrorKind::kInvalid, "store: the URL names no database file");
  auto store = SqliteStore::open(std::string(path));
  if (!store) return std::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace wgd::serve
