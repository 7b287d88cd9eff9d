# `csfpk run SCENARIO -o ""` is refused: an empty name is not a file name (written out here,
# since an empty argument does not survive being passed through a CMake list).
execute_process(COMMAND "${EXE}" run "${SCENARIO}" -o "" RESULT_VARIABLE rc ERROR_VARIABLE err)
string(STRIP "${err}" err)
if(NOT rc EQUAL 4 OR NOT err STREQUAL "error: -o: the output file name is empty")
  message(FATAL_ERROR "exit ${rc}, stderr '${err}'")
endif()
