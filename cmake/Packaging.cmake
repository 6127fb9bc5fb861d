# The Debian package. After building escalation-desk, `cpack -G DEB` in the build directory writes
# escalation-desk_<version>_<arch>.deb: the binary (install(TARGETS) in bot/CMakeLists.txt), the
# systemd unit and the config (both derived here from deploy/ with the paths the package uses), and
# the maintainer scripts, copyright and changelog under deploy/debian/.
set(desk_debian_dir ${PROJECT_SOURCE_DIR}/deploy/debian)
set(desk_package_dir ${PROJECT_BINARY_DIR}/package)  # the generated files

# `cpack` installs the project first; without this it would build every target (tests, benchmarks)
# before that, where the package needs only the binary.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# Replaces `pattern` (a regular expression) in `text`, and stops the configure if it is not there:
# the packaged files are derived from deploy/, and a change there must not slip through underived.
function(desk_derive out_var text pattern replacement what)
  if(NOT text MATCHES "${pattern}")
    message(FATAL_ERROR "Packaging: ${what}: '${pattern}' not found; update cmake/Packaging.cmake")
  endif()
  string(REGEX REPLACE "${pattern}" "${replacement}" derived "${text}")
  set(${out_var} "${derived}" PARENT_SCOPE)
endfunction()

set(example_config ${PROJECT_SOURCE_DIR}/deploy/desk.example.yaml)
set(source_unit ${PROJECT_SOURCE_DIR}/deploy/escalation-desk.service)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${example_config} ${source_unit} ${desk_debian_dir}/escalation-desk.service.header
             ${desk_debian_dir}/changelog ${desk_debian_dir}/escalation-desk.1)

# /etc/escalation-desk/desk.yaml: the example, with the database in the unit's state directory.
file(READ ${example_config} config)
desk_derive(config "${config}" "\n  database: escalation-desk\\.db *#"
            "\n  database: /var/lib/escalation-desk/desk.db  #" "desk.database in ${example_config}")
desk_derive(config "${config}" "deploy/desk\\.example\\.yaml" "/etc/escalation-desk/desk.yaml"
            "the check-config example in ${example_config}")
file(WRITE ${desk_package_dir}/desk.yaml "${config}")

# /lib/systemd/system/escalation-desk.service: the from-source unit with the package's header and
# paths and its manual page; a missing secrets.env lets the desk start and say which secret to set.
file(READ ${source_unit} unit)
file(READ ${desk_debian_dir}/escalation-desk.service.header unit_header)
desk_derive(unit "${unit}" "^(#[^\n]*\n)+" "${unit_header}" "the install notes atop ${source_unit}")
desk_derive(unit "${unit}" "/usr/local/bin/escalation-desk" "/usr/bin/escalation-desk" "the binary in ${source_unit}")
desk_derive(unit "${unit}" "EnvironmentFile=/" "EnvironmentFile=-/" "EnvironmentFile in ${source_unit}")
desk_derive(unit "${unit}" "\nDescription=[^\n]*" "\\0\nDocumentation=man:escalation-desk(1)"
            "Description in ${source_unit}")
file(WRITE ${desk_package_dir}/escalation-desk.service "${unit}")

# The changelog's newest entry must be this version. It and the manual page ship compressed.
file(STRINGS ${desk_debian_dir}/changelog changelog_top LIMIT_COUNT 1)
if(NOT changelog_top MATCHES "^escalation-desk \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "Packaging: deploy/debian/changelog has no entry for ${PROJECT_VERSION} on top")
endif()
foreach(page changelog escalation-desk.1)
  execute_process(COMMAND gzip -9nc ${desk_debian_dir}/${page} OUTPUT_FILE ${desk_package_dir}/${page}.gz
                  COMMAND_ERROR_IS_FATAL ANY)
endforeach()

# Package-only files sit in their own component, left out of a plain `cmake --install` (which puts
# the binary under its prefix and writes nothing to /etc or /lib).
install(FILES ${desk_package_dir}/escalation-desk.service DESTINATION /lib/systemd/system
        COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${desk_package_dir}/desk.yaml DESTINATION /etc/escalation-desk COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${desk_debian_dir}/copyright ${desk_package_dir}/changelog.gz DESTINATION share/doc/escalation-desk
        COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${desk_package_dir}/escalation-desk.1.gz DESTINATION share/man/man1 COMPONENT debian EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${PROJECT_BINARY_DIR};${PROJECT_NAME};Unspecified;/;${PROJECT_BINARY_DIR};${PROJECT_NAME};debian;/")
set(CPACK_PACKAGE_NAME escalation-desk)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Escalation Desk maintainers <maintainers@users.noreply.b-seed-938c0894.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "human review desk for AI marketing agents, in Slack")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Escalation Desk sits between AI marketing agents and the people accountable
for what they publish. Agents submit drafts over an HTTP intake API; the desk
lets safe work through and routes risky work (low confidence, pricing or
regulated claims, personal data, stale sources) to whoever is on duty in
Slack, with the evidence, deadlines, a written rationale for every decision
and an audit trail that detects tampering.
.
The package installs the desk, a systemd unit (not enabled) and an example
config as /etc/escalation-desk/desk.yaml.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries it links come from dpkg-shlibdeps; what it reads at run time is added by hand: the
# time-zone database (rotas), the CA certificates (TLS to Slack), adduser (postinst).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ca-certificates, tzdata")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${desk_debian_dir}/conffiles ${desk_debian_dir}/postinst ${desk_debian_dir}/prerm ${desk_debian_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
