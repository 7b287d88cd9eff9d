# Runs EXE with ARGS; requires exit code CODE and stderr equal to EXPECTED_TEXT or to the contents
# of EXPECTED_FILE (trailing whitespace ignored); with ANY_TEXT only the exit code is checked.
execute_process(COMMAND ${EXE} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(DEFINED EXPECTED_FILE)
  file(READ "${EXPECTED_FILE}" EXPECTED_TEXT)
endif()
string(STRIP "${EXPECTED_TEXT}" expected)
string(STRIP "${err}" actual)
if(NOT rc EQUAL CODE)
  message(FATAL_ERROR "exit code ${rc}, expected ${CODE}\nstderr: ${err}\nstdout: ${out}")
endif()
if(NOT ANY_TEXT AND NOT actual STREQUAL expected)
  message(FATAL_ERROR "stderr differs\n  expected: ${expected}\n  actual:   ${actual}")
endif()
