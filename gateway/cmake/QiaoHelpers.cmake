# qiao_library(NAME SOURCES ... DEPS ...): a gateway component with its public headers
# under <folder>/include (included as "qiao/<component>/x.h").
function(qiao_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# qiao_connector(NAME <name> SOURCES ... [DEPS ...]): a built-in connector. The folder's
# src/<name>_connector.cpp must define `void qiao_register_<name>(qiao::sdk::Registry&)`;
# connectors/CMakeLists.txt generates the call.
function(qiao_connector)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  set(target qiao_connector_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  target_link_libraries(${target} PUBLIC qiao_sdk ${ARG_DEPS})
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  set_property(GLOBAL APPEND PROPERTY QIAO_CONNECTORS ${ARG_NAME})
endfunction()
