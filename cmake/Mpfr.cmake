# MPFR (and GMP under it), for the x87 transcendentals' tests and accuracy tool only: the
# emulator never links it (docs/cpu.md, "x87 transcendentals"). Debian's libmpfr-dev,
# installed by scripts/install-deps. Defines the imported target rewind::mpfr.
include_guard(GLOBAL)
find_path(MPFR_INCLUDE_DIR mpfr.h REQUIRED)
find_library(MPFR_LIBRARY mpfr REQUIRED)
find_library(GMP_LIBRARY gmp REQUIRED)
add_library(rewind_mpfr INTERFACE)
target_include_directories(rewind_mpfr INTERFACE ${MPFR_INCLUDE_DIR})
target_link_libraries(rewind_mpfr INTERFACE ${MPFR_LIBRARY} ${GMP_LIBRARY})
add_library(rewind::mpfr ALIAS rewind_mpfr)
