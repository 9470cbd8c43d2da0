// The database file's life before SQLite sees it: created 0600 by us (SQLite would create it
// with 0644 under the usual umask), and an existing file or companion file whose mode lets
// group or others in is set back to 0600.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace wgd::serve::sqlite {

struct DatabaseFile {
  std::string path;                   // resolved (symlinks followed): what SQLite opens
  bool created = false;               // the file did not exist
  std::vector<std::string> repaired;  // files whose mode was corrected, for a log line
};

// Creates `path` (O_CREAT|O_EXCL, mode 0600, then fsync of the file and its directory, so the
// empty database exists after a crash) or opens the existing one, which must be a regular
// file. Then, on the file and on its "-wal", "-shm" and "-journal" companions if they exist
// (opened with O_NOFOLLOW; a symlinked companion is refused), a mode other than 0600 is set to
// 0600 with fchmod. Companions SQLite creates later copy the database file's
// mode, so they are 0600 from then on. Does not create missing directories.
Result<DatabaseFile> prepare_database_file(const std::string& path);

}  // namespace wgd::serve::sqlite
