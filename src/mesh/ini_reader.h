// The inventory's syntax: the INI dialect of wg-quick files, which the seed's sysadmin already
// writes by hand, with a name after the section kind ("[host dolores]", as git-config does).
//
// - Blank lines are ignored; a line whose first non-blank character is '#' or ';' is a comment,
//   and '#' anywhere else starts a comment too (as in wg-quick files).
// - "[KIND]" or "[KIND ARGUMENT]" opens a section; KIND is case-insensitive.
// - "KEY = VALUE" inside a section; keys are case-insensitive and '-' reads as '_', so
//   listen-port, Listen_Port and listen_port are one key. Blanks around KEY and VALUE go.
// - Control characters (other than tabs and a CR before the line end) are errors, so no value
//   can smuggle a line break into a generated file.
// This layer knows no key names; inventory.cc gives them meaning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace wgd::mesh {

struct IniEntry {
  std::string key;    // lower case, '-' replaced by '_'
  std::string value;  // trimmed; may be empty
  int line = 0;
};

struct IniSection {
  std::string kind;      // lower case: "mesh", "host"
  std::string argument;  // what follows the kind in the header, trimmed; may be empty
  int line = 0;          // of the header
  std::vector<IniEntry> entries;
};

// Errors list every malformed line as "FILE:LINE: what" (one per line of the message).
Result<std::vector<IniSection>> read_ini(std::string_view text, std::string_view file_name);

}  // namespace wgd::mesh
