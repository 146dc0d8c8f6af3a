# Cross-compiling anylinuxfs for macOS with Zig's C++ toolchain (macOS's libc headers
# and libc++ ship with it), from Linux: scripts/build-macos.sh passes
#   -DCMAKE_TOOLCHAIN_FILE=cmake/zig-macos.cmake -DALFS_ZIG=<zig> -DALFS_MACOS_ARCH=aarch64|x86_64
# and ALFS_HEADER_ONLY_INCLUDE, a directory holding only the header-only dependencies
# (CLI11, toml++, nlohmann-json): the host's /usr/include itself would bring glibc's
# headers into a macOS build.
set(CMAKE_SYSTEM_NAME Darwin)
if(NOT ALFS_ZIG OR NOT ALFS_MACOS_ARCH)
  message(FATAL_ERROR "zig-macos.cmake needs -DALFS_ZIG=<path of zig> and -DALFS_MACOS_ARCH=aarch64|x86_64")
endif()
if(ALFS_MACOS_ARCH STREQUAL aarch64)
  set(CMAKE_SYSTEM_PROCESSOR arm64)
else()
  set(CMAKE_SYSTEM_PROCESSOR ${ALFS_MACOS_ARCH})
endif()
# try_compile runs this file again in a project of its own: pass the settings on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ALFS_ZIG ALFS_MACOS_ARCH ALFS_HEADER_ONLY_INCLUDE)

# CMake takes one program as the compiler, zig wants a subcommand: small wrappers. Zig's
# own cache (libc++ built for the target once) lives beside zig, shared by
# every build tree.
get_filename_component(_alfs_zig_dir ${ALFS_ZIG} DIRECTORY)
set(_alfs_wrappers ${CMAKE_BINARY_DIR}/zig-${ALFS_MACOS_ARCH}-macos)
foreach(_tool c++ ar ranlib)
  set(_args ${_tool})
  if(_tool STREQUAL c++)
    set(_args "c++ -target ${ALFS_MACOS_ARCH}-macos")
  endif()
  file(WRITE ${_alfs_wrappers}/${_tool}.tmp
       "#!/bin/sh\nZIG_GLOBAL_CACHE_DIR='${_alfs_zig_dir}/cache' exec '${ALFS_ZIG}' ${_args} \"$@\"\n")
  file(CHMOD ${_alfs_wrappers}/${_tool}.tmp PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
       GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(RENAME ${_alfs_wrappers}/${_tool}.tmp ${_alfs_wrappers}/${_tool})
endforeach()
set(CMAKE_CXX_COMPILER ${_alfs_wrappers}/c++)
set(CMAKE_AR ${_alfs_wrappers}/ar CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB ${_alfs_wrappers}/ranlib CACHE FILEPATH "" FORCE)

# Nothing of the build host's libraries or packages: only the header-only directory.
set(CMAKE_FIND_ROOT_PATH ${ALFS_HEADER_ONLY_INCLUDE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
