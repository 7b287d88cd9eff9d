# `cmake --install`: the csfpk CLI, the layer libraries with their public headers, models/ and a
# CMake package (find_package(csfpk) → csfpk::csfpk) plus a pkg-config file.
include(CMakePackageConfigHelpers)

get_property(csfpk_layer_targets GLOBAL PROPERTY csfpk_layers)
# csfpk_warnings only carries compile flags, but the static libraries name it as a link-only
# dependency, so it travels with the export set.
install(TARGETS ${csfpk_layer_targets} csfpk_warnings
        EXPORT csfpkTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS csfpk RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES "${PROJECT_BINARY_DIR}/csfpk.1" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES "${PROJECT_BINARY_DIR}/csfpk.bash"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME csfpk)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/csfpk" "${PROJECT_BINARY_DIR}/generated/csfpk"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/models/" DESTINATION "${CMAKE_INSTALL_DATADIR}/csfpk/models")

get_property(CSFPK_WITH_MPI GLOBAL PROPERTY csfpk_with_mpi)
if(NOT CSFPK_WITH_MPI)
  set(CSFPK_WITH_MPI OFF)
endif()
set(csfpk_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/csfpk")
install(EXPORT csfpkTargets NAMESPACE csfpk:: DESTINATION "${csfpk_cmake_dir}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/csfpkConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/csfpkConfig.cmake"
                              INSTALL_DESTINATION "${csfpk_cmake_dir}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/csfpkConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/csfpkConfig.cmake"
              "${PROJECT_BINARY_DIR}/csfpkConfigVersion.cmake"
        DESTINATION "${csfpk_cmake_dir}")

configure_file("${PROJECT_SOURCE_DIR}/cmake/csfpk.pc.in" "${PROJECT_BINARY_DIR}/csfpk.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/csfpk.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
