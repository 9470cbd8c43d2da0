// docs/openapi.yaml, compiled into the binary (see openapi_document.cmake): /openapi.yaml serves
// the description of the very build that answers, wherever it is installed.
#pragma once

#include <string_view>

namespace wgd::serve::api {

std::string_view openapi_document();

}  // namespace wgd::serve::api
