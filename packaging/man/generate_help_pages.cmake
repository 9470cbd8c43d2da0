# Build step (packaging/CMakeLists.txt): the help of the built wgd, as man pages and as text.
#   cmake -DWGD=path/to/wgd -DHELP2MAN=path-or-empty -DOUT=dir -DVERSION=x.y.z -P this-file
# Runs `wgd --help`, then `wgd SUB --help` for every subcommand it lists, one level deeper too
# (`wgd doctor listen --help`), and writes for each:
#   OUT/help/wgd-SUB.txt      the help text as the program prints it
#   OUT/man1/wgd-SUB.1        a man page made by help2man (git's naming: wgd-doctor(1))
# The subcommands are read from the program itself, so a new one gets its page without a change
# here. A subcommand whose --help is not CLI11's (show/showconf hand their words to wg's own
# grammar) gets whatever usage text it prints, or no page when it prints none.
cmake_minimum_required(VERSION 3.25)
foreach(var WGD OUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "generate_help_pages.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUT}/man1" "${OUT}/help" "${OUT}/bin")
file(MAKE_DIRECTORY "${OUT}/man1" "${OUT}/help" "${OUT}/bin")

# The subcommands a CLI11 help text lists: the lines after "Subcommands:" ("  name   text").
function(list_subcommands text out_names out_descriptions)
  set(names "")
  set(descriptions "")
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(in_list FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^Subcommands:")
      set(in_list TRUE)
    elseif(in_list AND line MATCHES "^  ([a-z][a-z0-9-]*)  +(.*)$")
      list(APPEND names "${CMAKE_MATCH_1}")
      list(APPEND descriptions "${CMAKE_MATCH_2}")
    elseif(in_list AND NOT line MATCHES "^   ")
      set(in_list FALSE)
    endif()
  endforeach()
  set(${out_names} "${names}" PARENT_SCOPE)
  set(${out_descriptions} "${descriptions}" PARENT_SCOPE)
endfunction()

set(pages 0)
function(help_page words description depth)
  execute_process(COMMAND "${WGD}" ${words} --help
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(text "${out}${err}")
  set(name wgd)
  foreach(word IN LISTS words)
    string(APPEND name "-${word}")
  endforeach()
  if(NOT text MATCHES "Usage:")
    message(STATUS "wgd ${words}: no help text (exit ${rc}), no page")
    return()
  endif()
  file(WRITE "${OUT}/help/${name}.txt" "${text}")
  if(HELP2MAN)
    # help2man runs PROGRAM --help; a one-line wrapper makes `wgd doctor` such a program.
    string(REPLACE ";" " " argv "${words}")
    file(WRITE "${OUT}/bin/${name}" "#!/bin/sh\nexec '${WGD}' ${argv} \"$@\"\n")
    file(CHMOD "${OUT}/bin/${name}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
         GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    execute_process(COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --section=1
                            "--version-string=${VERSION}" "--name=${description}"
                            "--output=${OUT}/man1/${name}.1" "${OUT}/bin/${name}"
                    RESULT_VARIABLE hrc ERROR_VARIABLE herr)
    if(NOT hrc EQUAL 0)
      message(WARNING "help2man for wgd ${words} failed (no page): ${herr}")
    endif()
  endif()
  math(EXPR pages "${pages} + 1")
  set(pages ${pages} PARENT_SCOPE)
  if(depth LESS 2)
    list_subcommands("${out}" subs descriptions)
    foreach(sub description IN ZIP_LISTS subs descriptions)
      math(EXPR next "${depth} + 1")
      set(sub_words ${words})
      list(APPEND sub_words "${sub}")
      help_page("${sub_words}" "${description}" ${next})
      set(pages ${pages} PARENT_SCOPE)
    endforeach()
  endif()
endfunction()

help_page("" "userspace WireGuard: tunnels, wg/wg-quick drop-in, and a VPN server" 0)
if(HELP2MAN)
  message(STATUS "wgd: ${pages} man pages in ${OUT}/man1")
else()
  message(STATUS "wgd: ${pages} help texts in ${OUT}/help (no help2man: no man pages)")
endif()
file(WRITE "${OUT}/stamp" "${pages}\n")
