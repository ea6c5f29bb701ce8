# DOMAIN_EVENTS_SANITIZE=address,undefined or thread applies to everything this build compiles.
# Debug information is the build type's (scripts/test.sh builds RelWithDebInfo at -O1 -g1).
if(DOMAIN_EVENTS_SANITIZE)
  if(DOMAIN_EVENTS_SANITIZE MATCHES "thread" AND DOMAIN_EVENTS_SANITIZE MATCHES "address")
    message(FATAL_ERROR "DOMAIN_EVENTS_SANITIZE='${DOMAIN_EVENTS_SANITIZE}': thread cannot be combined with address")
  endif()
  if(NOT DOMAIN_EVENTS_SANITIZE MATCHES "^(address|undefined|thread)(,(address|undefined|thread))*$")
    message(FATAL_ERROR "DOMAIN_EVENTS_SANITIZE='${DOMAIN_EVENTS_SANITIZE}': expected address,undefined or thread")
  endif()
  add_compile_options(-fsanitize=${DOMAIN_EVENTS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${DOMAIN_EVENTS_SANITIZE})
  # g++ 12's flow analysis misfires under the sanitizers' instrumentation (inside std::regex and
  # std::function); the plain build keeps the warning as an error, so nothing real slips through.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
# TSan cannot see librdkafka's C11 threads and locks through glibc; see cmake/tsan_c11_threads.c.
if(DOMAIN_EVENTS_SANITIZE MATCHES "thread")
  enable_language(C)
  add_library(domain_events_tsan_c11_threads OBJECT ${CMAKE_CURRENT_LIST_DIR}/tsan_c11_threads.c)
  link_libraries($<BUILD_INTERFACE:$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:domain_events_tsan_c11_threads>>)
endif()


# DOMAIN_EVENTS_FUZZ=ON (clang only): libFuzzer coverage for everything this build compiles,
# with ASan+UBSan; tests/fuzz adds the fuzz_<name> executables. scripts/test.sh runs the unit and
# hermetic tiers of this build as its ASan+UBSan pass (the coverage hooks are ASan's no-ops there).
option(DOMAIN_EVENTS_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
if(DOMAIN_EVENTS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DOMAIN_EVENTS_FUZZ=ON needs clang (libFuzzer); configure with CXX=clang++, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(DOMAIN_EVENTS_SANITIZE)
    message(FATAL_ERROR "DOMAIN_EVENTS_FUZZ=ON brings its own sanitizers; leave DOMAIN_EVENTS_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
