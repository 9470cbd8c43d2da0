# cmake -DINPUT=file -DOUTPUT=file.cc -DFUNCTION=ns::name -DHEADER=path/of/header.h -P embed_text.cmake
# Writes a C++ source defining `std::string_view FUNCTION()` that returns INPUT's bytes, so the
# binary carries the file and does not depend on the source tree at run time.
foreach(var INPUT OUTPUT FUNCTION HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: -D${var}= is required")
  endif()
endforeach()
file(READ "${INPUT}" content)
set(delimiter "wgd_embed")
string(FIND "${content}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "embed_text.cmake: ${INPUT} contains the raw-string delimiter )${delimiter}\"")
endif()
string(REGEX REPLACE "::[^:]*$" "" namespace "${FUNCTION}")
string(REGEX REPLACE "^.*::" "" name "${FUNCTION}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by embed_text.cmake at build time; do not edit.
#include \"${HEADER}\"

namespace ${namespace} {

std::string_view ${name}() {
  static constexpr char kText[] = R\"${delimiter}(${content})${delimiter}\";
  return {kText, sizeof kText - 1};
}

}  // namespace ${namespace}
")
# Only touch the output when it changed, so an unrelated reconfigure rebuilds nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
