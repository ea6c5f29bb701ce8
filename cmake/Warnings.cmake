# Warnings for every target we compile; -Werror is switched on by CI and scripts/test.sh.
add_library(domain_events_warnings INTERFACE)
target_compile_options(domain_events_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
# librdkafka's RD_KAFKA_V_* producev macros are GNU statement expressions; clang's -Wpedantic
# names them, gcc's does not.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(domain_events_warnings INTERFACE -Wno-gnu-statement-expression)
endif()
if(DOMAIN_EVENTS_WERROR)
  target_compile_options(domain_events_warnings INTERFACE -Werror)
endif()
