# The library `wgd_openapi_document`: docs/openapi.yaml embedded as a string
# (serve/api/openapi_document.h), regenerated whenever the YAML changes.
set(_wgd_openapi_yaml ${PROJECT_SOURCE_DIR}/docs/openapi.yaml)
set(_wgd_openapi_cc ${CMAKE_CURRENT_BINARY_DIR}/openapi_document.cc)
add_custom_command(
  OUTPUT ${_wgd_openapi_cc}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${_wgd_openapi_yaml} -DOUTPUT=${_wgd_openapi_cc}
          -DFUNCTION=wgd::serve::api::openapi_document -DHEADER=serve/api/openapi_document.h
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_text.cmake
  DEPENDS ${_wgd_openapi_yaml} ${CMAKE_CURRENT_LIST_DIR}/embed_text.cmake
  COMMENT "Embedding docs/openapi.yaml"
  VERBATIM)
wgd_library(wgd_openapi_document SOURCES ${_wgd_openapi_cc})
