# Guest SDK build helpers: freestanding multiboot ELF guests built with the host gcc.
#
#   add_guest(NAME BITS 32|64 SOURCES src... [LIBS lib...] [INCLUDE_DIRS dir...])
#
# builds target guest_NAME -> ${CMAKE_BINARY_DIR}/guest/NAME.elf (ELF32 for BITS 32,
# ELF64 for BITS 64). For BITS 64 a copy converted to ELF32 (objcopy -O elf32-i386,
# for QEMU, which refuses ELF64 multiboot kernels) is written next to it as
# NAME.qemu.elf. Target properties: GUEST_BITS, GUEST_ELF, GUEST_QEMU_ELF.
# The names of all guests are collected in the global property REWIND_GUESTS.
#
#   guest_target_flags(TARGET BITS)
#
# applies the guest compile flags to any (library) target.

get_filename_component(REWIND_GUEST_DIR "${CMAKE_CURRENT_LIST_DIR}/../guest" ABSOLUTE)
set(REWIND_GUEST_SDK_DIR "${REWIND_GUEST_DIR}/sdk")
set(REWIND_GUEST_OUTPUT_DIR "${CMAKE_BINARY_DIR}/guest")

function(guest_target_flags TARGET BITS)
  if(BITS EQUAL 64)
    set(arch -m64 -mno-red-zone -mcmodel=small)
  else()
    set(arch -m32 -march=i686)
  endif()
  # The target's own options replace the directory-level ones (host warnings etc.).
  set_property(TARGET ${TARGET} PROPERTY COMPILE_OPTIONS
    ${arch} -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector
    -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-omit-frame-pointer
    -O2 -g -Wall -Wextra -Wno-unused-parameter
    $<$<COMPILE_LANGUAGE:C>:-std=gnu11>)
  set_property(TARGET ${TARGET} PROPERTY COMPILE_DEFINITIONS REWIND_GUEST=1 GUEST_BITS=${BITS})
  target_include_directories(${TARGET} PRIVATE "${REWIND_GUEST_SDK_DIR}/include")
  set_property(TARGET ${TARGET} PROPERTY INTERPROCEDURAL_OPTIMIZATION OFF)
endfunction()

function(add_guest NAME)
  cmake_parse_arguments(G "" "BITS" "SOURCES;LIBS;INCLUDE_DIRS" ${ARGN})
  if(NOT G_BITS)
    set(G_BITS 32)
  endif()
  if(NOT (G_BITS EQUAL 32 OR G_BITS EQUAL 64))
    message(FATAL_ERROR "add_guest(${NAME}): BITS must be 32 or 64")
  endif()
  set(tgt guest_${NAME})
  set(ld "${REWIND_GUEST_SDK_DIR}/ld/link${G_BITS}.ld")
  add_executable(${tgt} ${G_SOURCES} $<TARGET_OBJECTS:guest_boot${G_BITS}>)
  guest_target_flags(${tgt} ${G_BITS})
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
