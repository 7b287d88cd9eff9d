# A device, a FIFO and a folder given as the scenario are refused at once, not read whole or
# waited on. Run with -DEXE=<csfpk> -DWORK=<scratch folder>.
file(MAKE_DIRECTORY "${WORK}")
set(fifo "${WORK}/fifo.yaml")
file(REMOVE "${fifo}")
execute_process(COMMAND mkfifo "${fifo}" RESULT_VARIABLE made)
if(NOT made EQUAL 0)
  message(FATAL_ERROR "cannot make a FIFO in ${WORK}")
endif()
foreach(pair IN ITEMS "/dev/zero|not a regular file" "${fifo}|not a regular file"
                      "${WORK}|it is a folder")
  string(REPLACE "|" ";" parts "${pair}")
  list(GET parts 0 path)
  list(GET parts 1 why)
  execute_process(COMMAND "${EXE}" check "${path}" RESULT_VARIABLE rc ERROR_VARIABLE err
                  TIMEOUT 10)
  string(STRIP "${err}" err)
  set(expected "error: ${path}: cannot read the scenario file: ${why}")
  if(NOT rc EQUAL 2 OR NOT err STREQUAL expected)
    message(FATAL_ERROR "${path}: exit ${rc}, stderr '${err}', expected exit 2 and '${expected}'")
  endif()
endforeach()
file(REMOVE "${fifo}")
