# UAPI: the cross-platform configuration protocol (wireguard.com/xplatform) — text, server, client.
wgd_library(wgd_uapi
  SOURCES uapi_paths.cc uapi_protocol.cc uapi_server.cc uapi_client.cc
  DEPS wgd_crypto wgd_util Threads::Threads spdlog::spdlog)

if(WGD_TESTS)
  # Subprocesses, raw socket clients, temporary directories and namespaces for the tests below.
  wgd_library(wgd_uapi_testutil
    SOURCES uapi_test_util.cc
    DEPS wgd_uapi Threads::Threads)
endif()

# Pure text: parse/render both ways, every key, every class of bad input.
wgd_test(uapi_protocol_test
  SOURCES uapi_protocol_test.cc
  DEPS wgd_uapi wgd_uapi_testutil
  LABELS unit)

# Real unix sockets in a temporary directory (no root): socket life, framing, refusals, client.
wgd_test(uapi_server_test
  SOURCES uapi_server_test.cc uapi_fake_handler.h
  DEPS wgd_uapi wgd_uapi_testutil
  LABELS unit)

# Root: the stock wg(8) against our server in /var/run/wireguard, our client against
# wireguard-go in a namespace of its own.
wgd_test(uapi_integration_test
  SOURCES uapi_integration_test.cc uapi_fake_handler.h
  DEPS wgd_uapi wgd_uapi_testutil
  LABELS netns)
