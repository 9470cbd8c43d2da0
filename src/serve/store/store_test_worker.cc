// A separate process writing to a store, for the multi-process and kill -9 tests:
//   store_test_worker DB create COUNT PREFIX     creates COUNT peers PREFIX-0, PREFIX-1, ...
//   store_test_worker DB create-forever PREFIX   the same until killed
// Each create's id is written to stdout (one line, unbuffered) only after the store has
// acknowledged it, i.e. after its commit is durable.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"

namespace {

bool write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace wgd::serve;
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DB create COUNT PREFIX | DB create-forever PREFIX\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[2];
  long count = std::numeric_limits<long>::max();
  std::string prefix;
  if (mode == "create" && argc == 5) {
    count = std::strtol(argv[3], nullptr, 10);
    prefix = argv[4];
  } else if (mode == "create-forever" && argc == 4) {
    prefix = argv[3];
  } else {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }
  auto store = SqliteStore::open(argv[1]);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
    return 1;
  }
  const AddressPool pool = testing::test_pool("10.8.0.1/16");
  for (long i = 0; i < count; ++i) {
    auto r = (*store)->create(testing::named(prefix + "-" + std::to_string(i)), pool);
    if (!r) {
      std::fprintf(stderr, "create %ld: %s\n", i, r.error().message.c_str());
      return 1;
    }
    if (!write_all(STDOUT_FILENO, std::to_string(r->id) + "\n")) return 1;
  }
  return 0;
}
