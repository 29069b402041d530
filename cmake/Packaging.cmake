# CPack: one Debian package `tenantkit` with everything a C/C++ user or an operator needs:
# the libraries (static core and backends, libtenantkit_c.so), headers, CMake config, pkg-config
# file, and, in the component `package` that a plain `cmake --install` skips (it writes to
# /etc), the reference server with its systemd unit and default configuration, plus the Python
# binding. Build it with `cpack -G DEB` in a build tree configured with TENANTKIT_BUILD_SERVER=ON
# (tests/package/deb_test.sh does, and installs the result into a scratch root).
set(_pkg "${CMAKE_CURRENT_LIST_DIR}/packaging")

if(TARGET tenantkit-server)
  install(TARGETS tenantkit-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT package EXCLUDE_FROM_ALL)
  install(FILES ${_pkg}/tenantkit-server.service DESTINATION lib/systemd/system
          COMPONENT package EXCLUDE_FROM_ALL)
  install(FILES ${_pkg}/tenantkit.env DESTINATION /etc/tenantkit
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
          COMPONENT package EXCLUDE_FROM_ALL)
endif()
if(TARGET tenantkit_c)
  # Pure Python over libtenantkit_c.so.0 from the loader path: `import tenantkit` just works.
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/bindings/python/tenantkit
          DESTINATION lib/python3/dist-packages
          COMPONENT package EXCLUDE_FROM_ALL
          PATTERN "__pycache__" EXCLUDE)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT package EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME copyright COMPONENT package EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "tenantkit")
set(CPACK_PACKAGE_VENDOR "tenantkit")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "tenantkit maintainers <tenantkit@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
# Both components in the one package (the default component holds the library install rules).
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified package)

set(CPACK_DEBIAN_PACKAGE_NAME "tenantkit")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "libdevel")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "Multi-tenancy SDK for C++ services
 tenantkit gives a service tenant context, RBAC with custom roles, API keys,
 quotas (in-process and Redis), plan entitlements, billing webhooks and JWTs.
 This package holds the C++ libraries and headers with their CMake and
 pkg-config files, the C ABI (libtenantkit_c.so.0) and its Python binding, and
 the reference server tenantkit-server with a systemd unit.")
# Runtime libraries of the .so and the server come from dpkg-shlibdeps; the -dev packages are
# what find_package(tenantkit) and the pkg-config file need to build against the static libraries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "adduser, pkg-config, libboost-system1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libsodium-dev, libhiredis-dev, libsoci-dev, libpq-dev, libsqlite3-dev, libssl-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, postgresql, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${_pkg}/postinst;${_pkg}/prerm;${_pkg}/postrm")
if(TARGET tenantkit-server)  # conffiles may only name files the package holds
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${_pkg}/conffiles")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
