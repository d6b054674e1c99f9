# The folders are rad's layers (README, "Layout"). A file may include from its
# own folder and from folders below it, never from one above it or beside it:
#   cmake -DSOURCE_DIR=<repo> -P cmake/check_layers.cmake
# fails, naming each include that crosses the wrong way. Run as a test.
set(layers
  "rad"          # messages/: the generated rad/v1/*.pb.h
  "runtime"
  "protocol"
  "persistence"
  "actors"
  "client|faults" # side by side: neither includes the other
  "harness"
  "chaos|load"   # side by side: neither includes the other
  "tools"
  "tests")

set(rank 0)
foreach(layer IN LISTS layers)
  string(REPLACE "|" ";" folders "${layer}")
  foreach(folder IN LISTS folders)
    set(rank_of_${folder} ${rank})
  endforeach()
  math(EXPR rank "${rank} + 1")
endforeach()
set(rank_of_messages ${rank_of_rad})

set(crossings "")
foreach(folder messages runtime protocol persistence actors client faults harness chaos load tools tests)
  file(GLOB_RECURSE sources "${SOURCE_DIR}/${folder}/*.h" "${SOURCE_DIR}/${folder}/*.cc")
  foreach(source IN LISTS sources)
    file(STRINGS "${source}" includes REGEX "^#include \"[a-z_]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" target "${line}")
      if(NOT DEFINED rank_of_${target} OR target STREQUAL folder)
        continue()
      endif()
      if(NOT rank_of_${target} LESS rank_of_${folder})
        file(RELATIVE_PATH where "${SOURCE_DIR}" "${source}")
        string(APPEND crossings "  ${where}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(crossings)
  message(FATAL_ERROR "includes that cross rad's layers the wrong way (README, \"Layout\"):\n"
                      "${crossings}")
endif()
message(STATUS "every include keeps to rad's layers")
