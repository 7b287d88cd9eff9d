# Runs EXE with ARGS; requires exit code CODE and CONTAINS somewhere in stdout or stderr.
execute_process(COMMAND ${EXE} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL CODE)
  message(FATAL_ERROR "exit code ${rc}, expected ${CODE}\nstderr: ${err}\nstdout: ${out}")
endif()
string(FIND "${out}${err}" "${CONTAINS}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "output lacks '${CONTAINS}'\nstdout: ${out}\nstderr: ${err}")
endif()
