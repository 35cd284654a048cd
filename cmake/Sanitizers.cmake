# Sanitizer and fuzzing instrumentation for host code (REWIND_SANITIZE, REWIND_FUZZ).
#
# The flags go in as directory-level options, so every host target below the root gets them,
# while the guests do not: cmake/Guest.cmake replaces a guest's COMPILE_OPTIONS and
# LINK_OPTIONS with its own freestanding ones, and a freestanding kernel has no runtime for
# ASan or UBSan to call into.
#
#   REWIND_SANITIZE  ASan + UBSan; UBSan aborts on the first report so that a test fails.
#   REWIND_FUZZ      the same, plus libFuzzer coverage (clang only); fuzz/ then also builds
#                    <name>_fuzzer, a libFuzzer binary per fuzz target.

if(NOT (REWIND_SANITIZE OR REWIND_FUZZ))
  return()
endif()

set(REWIND_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
if(REWIND_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "REWIND_FUZZ needs clang (configure with CC=clang CXX=clang++; "
                        "scripts/install-deps --fuzz installs it)")
  endif()
  # Coverage feedback for libFuzzer in every library a fuzzer links; the main() comes from
  # -fsanitize=fuzzer on the fuzzer executables only (fuzz/CMakeLists.txt).
  list(APPEND REWIND_SANITIZER_FLAGS -fsanitize=fuzzer-no-link)
endif()

add_compile_options(${REWIND_SANITIZER_FLAGS})
add_link_options(-fsanitize=address,undefined)
