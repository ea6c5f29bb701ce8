# Build speed (docs/development.md, "Build times"). Each of these is used only when the machine has
# it, and none changes what a build compiles or what its tests run.

# A compiler cache. Paths under the source tree are hashed relative to it and the build directory
# is not hashed, so a clone in another folder (CI's) hits the entries an earlier clone wrote.
option(DOMAIN_EVENTS_CCACHE "Compile through ccache when it is installed" ${PROJECT_IS_TOP_LEVEL})
if(DOMAIN_EVENTS_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(DOMAIN_EVENTS_CCACHE_PROGRAM ccache)
  if(DOMAIN_EVENTS_CCACHE_PROGRAM)
    set(domain_events_launcher ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=true
        CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
        ${DOMAIN_EVENTS_CCACHE_PROGRAM})
    set(CMAKE_C_COMPILER_LAUNCHER ${domain_events_launcher})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${domain_events_launcher})
  endif()
endif()

# A faster linker: mold when installed (Debian's `mold`), else the toolchain's default.
set(DOMAIN_EVENTS_LINKER "auto" CACHE STRING "Linker for -fuse-ld: auto (mold when installed), default, or a name")
if(DOMAIN_EVENTS_LINKER STREQUAL "auto")
  find_program(DOMAIN_EVENTS_MOLD_PROGRAM mold)
  if(DOMAIN_EVENTS_MOLD_PROGRAM)
    add_link_options(-fuse-ld=mold)
  endif()
elseif(NOT DOMAIN_EVENTS_LINKER STREQUAL "default")
  add_link_options(-fuse-ld=${DOMAIN_EVENTS_LINKER})
endif()

# Precompiled headers for the heavy third-party headers nearly every file includes. Clang only:
# g++ 12 loses the system-header mark of code inlined from a precompiled header and reports
# -Warray-bounds false positives inside <string> as errors.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(domain_events_pch_default ${PROJECT_IS_TOP_LEVEL})
else()
  set(domain_events_pch_default OFF)
endif()
option(DOMAIN_EVENTS_PCH "Precompile the heaviest third-party headers" ${domain_events_pch_default})
if(DOMAIN_EVENTS_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options("SHELL:-Xclang -fno-pch-timestamp")  # else ccache can never reuse a PCH
endif()

# domain_events_precompile(TARGET [HEADER...]): the common headers, plus the target's own.
function(domain_events_precompile target)
  if(DOMAIN_EVENTS_PCH)
    target_precompile_headers(${target} PRIVATE
      <nlohmann/json.hpp> <string> <string_view> <vector> <map> <memory> <optional> <chrono>
      <functional> <mutex> <thread> <atomic> ${ARGN})
  endif()
endfunction()
