// Everything in the guest SDK.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <sdk/cpu.h>
#include <sdk/serial.h>
#include <sdk/printf.h>
#include <sdk/string.h>
#include <sdk/exit.h>
#include <sdk/multiboot.h>
#include <sdk/cmdline.h>
#include <sdk/gdt.h>
#include <sdk/idt.h>
#include <sdk/paging.h>
#include <sdk/pic.h>
#include <sdk/irq.h>
#include <sdk/pit.h>
#include <sdk/rtc.h>
