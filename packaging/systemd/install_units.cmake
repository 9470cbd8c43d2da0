# Run by `cmake --install` (install(SCRIPT) in packaging/CMakeLists.txt): fills the unit
# templates with the paths of *this* installation, so `cmake --install build --prefix /opt/wgd`
# gives units that run /opt/wgd/bin/wgd. DESTDIR is applied by file(INSTALL), never written into
# the units. Set by packaging/CMakeLists.txt: WGD_UNIT_TEMPLATES, WGD_UNIT_FILES (installed as
# they are), WGD_BINDIR_SETTING, WGD_UNIT_DIR_SETTING, WGD_UNIT_STAGING.
function(wgd_install_path setting out)
  if(IS_ABSOLUTE "${setting}")
    set(${out} "${setting}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${setting}" PARENT_SCOPE)
  endif()
endfunction()

wgd_install_path("${WGD_BINDIR_SETTING}" WGD_BINDIR)
wgd_install_path("${WGD_UNIT_DIR_SETTING}" unit_dir)
set(units ${WGD_UNIT_FILES})
foreach(template IN LISTS WGD_UNIT_TEMPLATES)
  get_filename_component(name "${template}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  configure_file("${template}" "${WGD_UNIT_STAGING}/${name}" @ONLY)
  list(APPEND units "${WGD_UNIT_STAGING}/${name}")
endforeach()
file(INSTALL ${units} DESTINATION "${unit_dir}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
