# Installs the build tree into a scratch prefix, then configures, builds and runs tests/package
# against it, with the shop example. Invoked by CTest with -DBUILD_DIR, -DSOURCE_DIR, -DSHOP_DIR
# and -DWORK_DIR.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}")
  endif()
endfunction()

run_step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
run_step(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -DCMAKE_PREFIX_PATH=${prefix}
         -DCMAKE_BUILD_TYPE=Release -DSHOP_DIR=${SHOP_DIR})
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run_step("${WORK_DIR}/build/package_consumer" "${WORK_DIR}/consumer.db")
run_step("${WORK_DIR}/build/outbox_only" "${WORK_DIR}/outbox_only.db")

# The publishing-only program must not link librdkafka (nor libmicrohttpd): neither on its link
# line (static or shared, whatever --as-needed would drop) nor among the libraries it loads.
file(GLOB_RECURSE link_lines "${WORK_DIR}/build/CMakeFiles/outbox_only.dir/link.txt")
if(NOT link_lines)
  message(FATAL_ERROR "no link line found for outbox_only under ${WORK_DIR}/build/CMakeFiles")
endif()
file(READ "${link_lines}" link_line)
execute_process(COMMAND ldd "${WORK_DIR}/build/outbox_only" OUTPUT_VARIABLE loaded RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ldd failed (${rc}) on ${WORK_DIR}/build/outbox_only")
endif()
foreach(forbidden rdkafka microhttpd domain_events_kafka domain_events_http)
  if(link_line MATCHES "${forbidden}" OR loaded MATCHES "${forbidden}")
    message(FATAL_ERROR "outbox_only links ${forbidden}: a publishing-only program must not.\n"
                        "link line: ${link_line}\nldd: ${loaded}")
  endif()
endforeach()
message(STATUS "outbox_only links neither librdkafka nor libmicrohttpd")
# On its embedded mock cluster whatever broker the environment names: a fresh group and topics.
file(MAKE_DIRECTORY "${WORK_DIR}/shop")
run_step(${CMAKE_COMMAND} -E env --unset=KAFKA_BOOTSTRAP_SERVERS --unset=KAFKA_TOPIC_PREFIX KAFKA_ENABLED=true
         "${WORK_DIR}/build/shop" "${WORK_DIR}/shop")
