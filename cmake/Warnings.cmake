# Warnings for every target we compile; -Werror is switched on by CI and scripts/test.sh.
add_library(domain_events_warnings INTERFACE)
target_compile_options(domain_events_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(DOMAIN_EVENTS_WERROR)
  target_compile_options(domain_events_warnings INTERFACE -Werror)
endif()
