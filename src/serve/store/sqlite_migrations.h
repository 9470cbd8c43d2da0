// Versioned schema migrations for the SQLite store: an ordered list of SQL steps in code, each
// applied once, in its own transaction, and recorded in `schema_migrations`.
#pragma once

#include <span>
#include <string_view>

#include "serve/store/sqlite_connection.h"
#include "util/error.h"

namespace wgd::serve::sqlite {

struct Migration {
  int version;            // strictly increasing, from 1
  std::string_view name;  // what the step does, recorded with it
  std::string_view sql;   // one or more statements
};

// The store's schema, oldest step first (sqlite_schema.cc).
std::span<const Migration> store_migrations();

// The highest applied version, 0 for a database no migration has touched.
Result<int> schema_version(Connection& c);

// Applies every step of `steps` the database lacks. Each step runs inside BEGIN IMMEDIATE with
// the version re-read under the lock, so two processes opening one new file at once apply each
// step exactly once; a failing step is rolled back whole and reported. Refuses (EIO, with the
// versions in the message) a database whose version is newer than the last step: that file
// was written by a newer wgd and this one must not touch it. Returns the version now in force.
Result<int> migrate(Connection& c, std::span<const Migration> steps);

}  // namespace wgd::serve::sqlite
