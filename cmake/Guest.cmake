# Guest SDK build helpers: freestanding multiboot ELF guests built with the host gcc.
#
#   add_guest(NAME BITS 32|64 [SSE | X87] SOURCES src... [LIBS lib...] [INCLUDE_DIRS dir...])
#
# builds target guest_NAME -> ${CMAKE_BINARY_DIR}/guest/NAME.elf (ELF32 for BITS 32,
# ELF64 for BITS 64). For BITS 64 a copy converted to ELF32 (objcopy -O elf32-i386,
# for QEMU, which refuses ELF64 multiboot kernels) is written next to it as
# NAME.qemu.elf. Target properties: GUEST_BITS, GUEST_ELF, GUEST_QEMU_ELF.
# The names of all guests are collected in the global property REWIND_GUESTS.
#
# SSE: the guest's own sources may use SSE/SSE2 floating point and vector code (without it
# every guest is built -mgeneral-regs-only). Its entry code makes SSE usable before sdk_start
# the way an OS does (CR0.EM = 0, CR0.MP = 1, CR0.TS = 0, CR4.OSFXSR | OSXMMEXCPT, MXCSR =
# 0x1F80) and, for 32-bit, hands sdk_start a 16-byte aligned stack; SDK_SSE=1 is defined.
# The SDK libraries stay integer-only (guests without SSE boot exactly as before). 32-bit
# SSE guests are built -msse2 -mfpmath=sse -msseregparm (and -mtune=generic, without which
# -march=i686 keeps struct copies in general registers): float and double are passed and
# returned in xmm registers, not on the x87 stack, so that they run no x87 instruction at
# all (beware: gdb assumes the i386 ABI and reads a returned double from st0; and gcc still
# uses the x87 to convert between double and 64-bit integers in 32-bit code, which such
# guests avoid). They also assume only 4-byte stack alignment on entry
# (-mincoming-stack-boundary=2): interrupt handlers are entered with whatever alignment the
# interrupted code had. -fno-math-errno lets __builtin_sqrt be a single sqrtsd.
#
# X87: the guest's own sources may use x87 floating point (the SDK libraries stay
# integer-only). Its entry code makes the x87 usable before sdk_start the way an OS does
# (CR0.EM = 0, CR0.MP = 1, CR0.NE = 1: unmasked x87 exceptions raise #MF, vector 16, rather
# than the PC's IRQ 13, CR0.TS = 0; FNINIT); SDK_X87=1 is defined. 32-bit X87 guests are
# built -mfpmath=387 -mno-sse -mno-mmx (with -march=i686: FCOMI and FCMOVcc): float and double
# live in x87 registers, are passed on the stack and returned in st0 (the i386 ABI, which gdb
# expects). 64-bit X87 guests are built -mno-sse -mno-mmx: only long double (the x87's own
# format, returned in st0) may be used, since the x86-64 ABI passes float and double in xmm
# registers. Both: -fno-math-errno, so that __builtin_sqrt is a single FSQRT.
#
#   guest_target_flags(TARGET BITS [SSE | X87])
#
# applies the guest compile flags to any (library) target.

get_filename_component(REWIND_GUEST_DIR "${CMAKE_CURRENT_LIST_DIR}/../guest" ABSOLUTE)
set(REWIND_GUEST_SDK_DIR "${REWIND_GUEST_DIR}/sdk")
set(REWIND_GUEST_OUTPUT_DIR "${CMAKE_BINARY_DIR}/guest")

function(guest_target_flags TARGET BITS)
  cmake_parse_arguments(F "SSE;X87" "" "" ${ARGN})
  if(BITS EQUAL 64)
    set(arch -m64 -mno-red-zone -mcmodel=small)
  else()
    set(arch -m32 -march=i686)
  endif()
  set(defs REWIND_GUEST=1 GUEST_BITS=${BITS})
  if(F_SSE)
    if(BITS EQUAL 64)
      set(fp -fno-math-errno)
    else()
      set(fp -msse2 -mtune=generic -mfpmath=sse -msseregparm -mincoming-stack-boundary=2 -fno-math-errno)
    endif()
    list(APPEND defs SDK_SSE=1)
  elseif(F_X87)
    if(BITS EQUAL 64)
      set(fp -mno-sse -mno-mmx -fno-math-errno)
    else()
      set(fp -mfpmath=387 -mno-sse -mno-mmx -fno-math-errno)
    endif()
    list(APPEND defs SDK_X87=1)
  else()
    set(fp -mgeneral-regs-only)
  endif()
  # The target's own options replace the directory-level ones (host warnings etc.).
  set_property(TARGET ${TARGET} PROPERTY COMPILE_OPTIONS
    ${arch} -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector
    ${fp} -fno-asynchronous-unwind-tables -fno-omit-frame-pointer
    -O2 -g -Wall -Wextra -Wno-unused-parameter
    $<$<COMPILE_LANGUAGE:C>:-std=gnu11>)
  set_property(TARGET ${TARGET} PROPERTY COMPILE_DEFINITIONS ${defs})
  target_include_directories(${TARGET} PRIVATE "${REWIND_GUEST_SDK_DIR}/include")
  set_property(TARGET ${TARGET} PROPERTY INTERPROCEDURAL_OPTIMIZATION OFF)
endfunction()

function(add_guest NAME)
  cmake_parse_arguments(G "SSE;X87" "BITS" "SOURCES;LIBS;INCLUDE_DIRS" ${ARGN})
  if(NOT G_BITS)
    set(G_BITS 32)
  endif()
  if(NOT (G_BITS EQUAL 32 OR G_BITS EQUAL 64))
    message(FATAL_ERROR "add_guest(${NAME}): BITS must be 32 or 64")
  endif()
  set(tgt guest_${NAME})
  set(ld "${REWIND_GUEST_SDK_DIR}/ld/link${G_BITS}.ld")
  if(G_SSE AND G_X87)
    message(FATAL_ERROR "add_guest(${NAME}): SSE and X87 are alternatives")
  endif()
  if(G_SSE)
    set(boot guest_boot${G_BITS}_sse)
    set(sse SSE)
  elseif(G_X87)
    set(boot guest_boot${G_BITS}_x87)
    set(sse X87)
  else()
    set(boot guest_boot${G_BITS})
    set(sse)
  endif()
  add_executable(${tgt} ${G_SOURCES} $<TARGET_OBJECTS:${boot}>)
  guest_target_flags(${tgt} ${G_BITS} ${sse})
  if(G_INCLUDE_DIRS)
    target_include_directories(${tgt} PRIVATE ${G_INCLUDE_DIRS})
  endif()
  target_link_libraries(${tgt} PRIVATE ${G_LIBS} guest_sdk${G_BITS})
  if(G_BITS EQUAL 64)
    set(march -m64)
  else()
    set(march -m32)
  endif()
  set_property(TARGET ${tgt} PROPERTY LINK_OPTIONS
    ${march} -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000
    -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack -T "${ld}")
  set_target_properties(${tgt} PROPERTIES
    OUTPUT_NAME ${NAME}
    SUFFIX ".elf"
    RUNTIME_OUTPUT_DIRECTORY "${REWIND_GUEST_OUTPUT_DIR}"
    LINK_DEPENDS "${ld}"
    LINKER_LANGUAGE C
    GUEST_BITS ${G_BITS}
    GUEST_ELF "${REWIND_GUEST_OUTPUT_DIR}/${NAME}.elf")
  if(G_BITS EQUAL 64)
    set(qemu_elf "${REWIND_GUEST_OUTPUT_DIR}/${NAME}.qemu.elf")
    add_custom_command(TARGET ${tgt} POST_BUILD
      COMMAND ${CMAKE_OBJCOPY} -O elf32-i386 --strip-debug $<TARGET_FILE:${tgt}> "${qemu_elf}"
      BYPRODUCTS "${qemu_elf}"
      COMMENT "objcopy ${NAME}.elf -> ${NAME}.qemu.elf (ELF32 for QEMU)"
      VERBATIM)
  else()
    set(qemu_elf "${REWIND_GUEST_OUTPUT_DIR}/${NAME}.elf")
  endif()
  set_target_properties(${tgt} PROPERTIES GUEST_QEMU_ELF "${qemu_elf}")
  set_property(GLOBAL APPEND PROPERTY REWIND_GUESTS ${NAME})
endfunction()
