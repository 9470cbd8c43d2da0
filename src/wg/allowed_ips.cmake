# The allowed-IPs table (cryptokey routing). Included from src/wg/CMakeLists.txt.
wgd_library(wgd_allowed_ips
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/allowed_ips.cc
  DEPS wgd_util)

wgd_test(allowed_ips_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/allowed_ips_test.cc
  DEPS wgd_allowed_ips)
