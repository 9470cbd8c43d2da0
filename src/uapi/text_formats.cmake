# wg-quick files and wg show/showconf rendering.
wgd_library(wgd_text_formats
  SOURCES wg_quick_syntax.cc wg_quick_config.cc wg_quick_render.cc wg_quick_device.cc showconf.cc
          wg_show.cc
  DEPS wgd_crypto wgd_util)

wgd_test(text_formats_test
  SOURCES wg_quick_config_test.cc wg_quick_device_test.cc showconf_test.cc wg_show_test.cc
          text_formats_test_support.cc text_formats_test_support.h
  DEPS wgd_text_formats)

# Compares with the real `wg` driving a real wireguard-go; needs root, wireguard-go and
# wireguard-tools. Runs in its own network and mount namespaces (see the test's header).
wgd_test(text_formats_netns_test
  SOURCES text_formats_netns_test.cc text_formats_test_support.cc text_formats_test_support.h
  DEPS wgd_text_formats
  LABELS netns)
