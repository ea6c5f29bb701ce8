# Every dependency comes from the system (Debian packages, see scripts/install-deps.sh); nothing is vendored.
# cmake/domain_eventsConfig.cmake.in repeats these lookups for integrators through find_dependency.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET GLOBAL rdkafka>=2.0)
pkg_check_modules(UUID REQUIRED IMPORTED_TARGET GLOBAL uuid)
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET GLOBAL libmicrohttpd>=0.9.71)  # http_server: health, metrics, APIs
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(Threads REQUIRED)
find_package(CLI11 2.1 REQUIRED)  # header-only: the consumer_cli helper's flags, the domain-events command

# Only the tests need cpp-httplib, as an HTTP client (Debian's libcpp-httplib-dev ships a
# compiled library and a pkg-config file, no CMake package).
if(DOMAIN_EVENTS_BUILD_TESTS)
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib>=0.11)
endif()
