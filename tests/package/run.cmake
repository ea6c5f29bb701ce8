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
# On its embedded mock cluster whatever broker the environment names: a fresh group and topics.
file(MAKE_DIRECTORY "${WORK_DIR}/shop")
run_step(${CMAKE_COMMAND} -E env --unset=KAFKA_BOOTSTRAP_SERVERS --unset=KAFKA_TOPIC_PREFIX KAFKA_ENABLED=true
         "${WORK_DIR}/build/shop" "${WORK_DIR}/shop")
