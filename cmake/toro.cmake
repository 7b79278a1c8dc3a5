# Build rules shared by the kernel, the HALs and the applications.

# Flags every kernel and HAL-contract source gets, in both builds.
set(TORO_KERNEL_FLAGS
  -Wall -Wextra -Werror
  -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-omit-frame-pointer)

# The kernel's freestanding rule (docs/architecture.md): these headers need
# no libc; anything else included from kernel/ or hal/ fails the build.
set(TORO_ALLOWED_SYSTEM_HEADERS
  cstdint cstddef cstdarg climits type_traits atomic new utility array span
  optional string_view limits bit concepts compare initializer_list)

# toro_check_freestanding(TARGET DIR...): TARGET depends on a check that
# scans every source and header under the DIRs.
function(toro_check_freestanding target)
  set(files)
  foreach(dir IN LISTS ARGN)
    file(GLOB_RECURSE found CONFIGURE_DEPENDS ${dir}/*.h ${dir}/*.cpp)
    list(APPEND files ${found})
  endforeach()
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.freestanding.stamp)
  string(REPLACE ";" "," allowed "${TORO_ALLOWED_SYSTEM_HEADERS}")
  string(REPLACE ";" "," file_list "${files}")
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DALLOWED=${allowed} -DFILES=${file_list} -DSTAMP=${stamp}
            -P ${PROJECT_SOURCE_DIR}/cmake/check_freestanding.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/check_freestanding.cmake
    COMMENT "Checking that ${target} includes only freestanding headers"
    VERBATIM)
  add_custom_target(${target}_freestanding DEPENDS ${stamp})
  add_dependencies(${target} ${target}_freestanding)
endfunction()

# The units an application may name, and the library each one is.
# process and memory are the kernel's core: every application has them.
# devices is the disk registry; fs the VFS and block cache (it needs
# devices); ext2 the driver (it needs fs); net the network stack and its
# sockets.
set(TORO_UNITS process memory devices fs ext2 net)
set(TORO_CORE_UNITS process memory)
set(TORO_UNIT_LIBRARY_process toro_kernel_core)
set(TORO_UNIT_LIBRARY_memory toro_kernel_core)
set(TORO_UNIT_LIBRARY_devices toro_kernel_devices)
set(TORO_UNIT_LIBRARY_fs toro_kernel_fs toro_kernel_devices)
set(TORO_UNIT_LIBRARY_ext2 toro_kernel_ext2 toro_kernel_fs toro_kernel_devices)
set(TORO_UNIT_LIBRARY_net toro_kernel_net)

# toro_link_app(TARGET APP GROUP [SOURCE...]): links APP's objects (the
# target APP_objects) with the kernel libraries GROUP and the flavor's HAL.
function(toro_link_app target app group)
  add_executable(${target} $<TARGET_OBJECTS:${app}_objects> ${ARGN})
  if(TORO_FLAVOR STREQUAL "bare")
    target_link_libraries(${target} PRIVATE "$<LINK_GROUP:RESCAN,${group},toro_hal_bare>")
    target_link_options(${target} PRIVATE -T ${PROJECT_SOURCE_DIR}/hal_bare/linker.ld)
    set_target_properties(${target} PROPERTIES
      OUTPUT_NAME ${app}.elf
      LINK_DEPENDS ${PROJECT_SOURCE_DIR}/hal_bare/linker.ld)
  else()
    target_link_libraries(${target} PRIVATE toro_hal_posix_main
                          "$<LINK_GROUP:RESCAN,${group},toro_hal_posix>")
    # -rdynamic: the fault report's backtrace can name kernel functions.
    target_link_options(${target} PRIVATE -rdynamic)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${app})
  endif()
endfunction()

# toro_add_app(NAME SOURCES file... [UNITS unit...]): an application built
# for the flavor being configured, linking exactly the named units (plus
# the core) and the HAL: hosted, build/apps/NAME; bare, build/bare/apps/NAME.elf.
function(toro_add_app name)
  cmake_parse_arguments(APP "" "" "SOURCES;UNITS" ${ARGN})
  set(libraries)
  foreach(unit IN LISTS TORO_CORE_UNITS APP_UNITS)
    if(NOT unit IN_LIST TORO_UNITS)
      message(FATAL_ERROR "toro_add_app(${name}): unknown unit '${unit}' (known: ${TORO_UNITS})")
    endif()
    list(APPEND libraries ${TORO_UNIT_LIBRARY_${unit}})
  endforeach()
  list(REMOVE_DUPLICATES libraries)
  # The HAL calls kernel_main and the kernel calls the HAL: one link group.
  string(REPLACE ";" "," group "${libraries}")
  set(name_source ${CMAKE_CURRENT_BINARY_DIR}/${name}_app_name.cpp)
  file(CONFIGURE OUTPUT ${name_source}
       CONTENT "extern const char toro_app_name[];\nconst char toro_app_name[] = \"${name}\";\n")
  add_library(${name}_objects OBJECT ${APP_SOURCES} ${name_source})
  target_compile_options(${name}_objects PRIVATE ${TORO_KERNEL_FLAGS})
  target_link_libraries(${name}_objects PRIVATE ${libraries})
  # Two links (cmake/symbol_table.py): the first without a symbol table,
  # then the real one with the table of the first's functions, which the
  # fault reports name; the check proves that no function moved.
  set(first_link ${name}_first_link)
  set(table_source ${CMAKE_CURRENT_BINARY_DIR}/${name}_symbols.S)
  toro_link_app(${first_link} ${name} "${group}")
  set_target_properties(${first_link} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_custom_command(OUTPUT ${table_source}
    COMMAND python3 ${PROJECT_SOURCE_DIR}/cmake/symbol_table.py generate
            $<TARGET_FILE:${first_link}> ${table_source}
    DEPENDS ${first_link} ${PROJECT_SOURCE_DIR}/cmake/symbol_table.py
    COMMENT "Symbol table of ${name}" VERBATIM)
  toro_link_app(${name} ${name} "${group}" ${table_source})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/apps)
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND python3 ${PROJECT_SOURCE_DIR}/cmake/symbol_table.py check
            $<TARGET_FILE:${first_link}> $<TARGET_FILE:${name}>
    VERBATIM)
  if(TORO_FLAVOR STREQUAL "bare")
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -DFILE=$<TARGET_FILE:${name}> -P ${PROJECT_SOURCE_DIR}/cmake/print_size.cmake
      VERBATIM)
  endif()
endfunction()
