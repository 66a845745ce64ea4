# Target-scoped warnings, sanitizers and the add_test/add_bench/add_fuzzer helpers (STYLE §9).

function(strata_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict overlaps inside std::string at -O2+ (GCC bug 105651).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(STRATA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

macro(strata_apply_sanitizers)
  if(STRATA_BUILD_FUZZERS)
    # Every library is instrumented for coverage, or the fuzzer would only see its own file.
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
  elseif(STRATA_SANITIZE)
    add_compile_options(-fsanitize=${STRATA_SANITIZE} -fno-sanitize-recover=all
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=${STRATA_SANITIZE})
  endif()
endmacro()

# strata_add_library(<module> SOURCES ... DEPS ...): library strata_<module>, alias strata::<module>.
function(strata_add_library module)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(strata_${module} STATIC ${ARG_SOURCES})
  add_library(strata::${module} ALIAS strata_${module})
  target_include_directories(strata_${module} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(strata_${module} PUBLIC ${ARG_DEPS})
  strata_set_warnings(strata_${module})
endfunction()

# strata_add_test(<binary> SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary whose cases
# ctest discovers one by one.
function(strata_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} strata_test_support GTest::gtest_main
                        GTest::gmock)
  strata_set_warnings(${name})
  # Tests find the source and build trees through compile-time paths (tests/support/test_util).
  if(ARG_LABELS)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# strata_add_bench(<binary> SOURCES ... DEPS ...): a Google Benchmark binary plus a bench-smoke
# ctest that runs every benchmark once, to prove it compiles and runs (no timing asserted).
function(strata_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  strata_set_warnings(${name})
  if(STRATA_BUILD_TESTS)
    add_test(NAME bench_smoke.${name}
             COMMAND ${name} --benchmark_min_time=0 --benchmark_repetitions=1)
    set_tests_properties(bench_smoke.${name} PROPERTIES LABELS bench-smoke
      ENVIRONMENT "STRATA_SOURCE_DIR=${PROJECT_SOURCE_DIR};STRATA_BENCH_SMOKE=1")
  endif()
endfunction()

# strata_add_fuzzer(<target> SOURCES ... DEPS ...): with STRATA_BUILD_FUZZERS (clang) a libFuzzer
# binary <target>_fuzzer; always a <target>_fuzz_replay binary that runs every file of
# tests/fuzz/corpus/<target>/ through the same entry point, registered as a ctest.
function(strata_add_fuzzer target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${target})
  add_executable(${target}_fuzz_replay ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
  target_link_libraries(${target}_fuzz_replay PRIVATE ${ARG_DEPS})
  strata_set_warnings(${target}_fuzz_replay)
  add_test(NAME fuzz_replay.${target} COMMAND ${target}_fuzz_replay ${corpus})
  set_tests_properties(fuzz_replay.${target} PROPERTIES LABELS fuzz-replay)
  if(STRATA_BUILD_FUZZERS)
    add_executable(${target}_fuzzer ${ARG_SOURCES})
    target_compile_options(${target}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${target}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${target}_fuzzer PRIVATE ${ARG_DEPS})
    strata_set_warnings(${target}_fuzzer)
  endif()
endfunction()
