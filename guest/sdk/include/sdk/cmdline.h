// The multiboot command line.
#pragma once
#include <stdint.h>

// The raw command line ("" if none). Boot loaders (GRUB, QEMU) put the image path first.
const char* cmdline(void);
// The command line without the image path: the first word is skipped when it looks like
// a path (contains '/' or ends in ".elf"). Leading blanks are skipped.
const char* cmdline_args(void);
// The value of "key=N" among the arguments (decimal or 0x-hex), else def.
uint64_t cmdline_uint(const char* key, uint64_t def);
