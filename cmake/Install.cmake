include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(DOMAIN_EVENTS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/domain_events)

install(TARGETS domain_events_outbox domain_events_kafka domain_events_http domain_events_program domain_events
        EXPORT domain_eventsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/domain_events DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/include/domain_events/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/domain_events)
install(EXPORT domain_eventsTargets NAMESPACE domain_events:: DESTINATION ${DOMAIN_EVENTS_CMAKE_DIR})

configure_package_config_file(cmake/domain_eventsConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/domain_eventsConfig.cmake
  INSTALL_DESTINATION ${DOMAIN_EVENTS_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/domain_eventsConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/domain_eventsConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/domain_eventsConfigVersion.cmake
        DESTINATION ${DOMAIN_EVENTS_CMAKE_DIR})
