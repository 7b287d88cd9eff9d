# `csfpk run -o FOLDER/out.h5` into a read-only FOLDER must fail with exit code 4 and say why,
# leaving nothing behind. Prints "skipped: ..." (the test counts as skipped) for root, whom
# permissions do not stop.
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(uid STREQUAL "0")
  message("skipped: running as root, which can write into read-only folders")
  return()
endif()
file(REMOVE_RECURSE "${FOLDER}")
file(MAKE_DIRECTORY "${FOLDER}")
file(CHMOD "${FOLDER}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_EXECUTE)
execute_process(COMMAND ${EXE} run ${SCENARIO} -o ${FOLDER}/out.h5 RESULT_VARIABLE rc
                ERROR_VARIABLE err OUTPUT_QUIET)
file(GLOB left "${FOLDER}/*")
file(CHMOD "${FOLDER}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
string(STRIP "${err}" err)
set(expected "error: ${FOLDER}/out.h5: cannot write in ${FOLDER}: Permission denied")
if(NOT rc EQUAL 4 OR NOT err STREQUAL expected OR left)
  message(FATAL_ERROR "exit ${rc}, stderr '${err}', files left: '${left}'\nexpected exit 4, '${expected}'")
endif()
