# The guest agent for arm64 guests, cross-compiled on another Linux host with Debian's
# cross compiler (g++-aarch64-linux-gnu) and the multiarch libblkid-dev:arm64 (its
# static archive): scripts/build.sh passes -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux.cmake
# with -DALFS_AGENT_ONLY=ON.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Libraries and pkg-config files of the target's multiarch directory only; headers and
# CMake package files (nlohmann-json, header-only) are shared with the host's.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
