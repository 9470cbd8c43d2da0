# Allowed-IPs lookup and insert rates. Included from bench/CMakeLists.txt (WGD_BENCH=ON).
add_executable(allowed_ips_bench ${CMAKE_CURRENT_LIST_DIR}/allowed_ips_bench.cc)
target_link_libraries(allowed_ips_bench PRIVATE wgd_allowed_ips benchmark::benchmark)
