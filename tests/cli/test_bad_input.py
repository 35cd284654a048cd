#!/usr/bin/env python3
"""rewind run on bad input: exactly one "rewind: error:" line on stderr and the documented status.

Usage: test_bad_input.py PATH/TO/rewind
"""
import os
import struct
import subprocess
import sys
import tempfile

EXIT_USAGE = 2
EXIT_BAD_IMAGE = 8

MB_MAGIC = 0x1BADB002


def multiboot_header(flags=0x3):
    return struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF)


def elf32(paddr=0x100000, code=b"\xf4" * 16, memsz=None, multiboot=True):
    """An i386 executable with one PT_LOAD segment; the multiboot header follows the headers."""
    ehsize, phentsize = 52, 32
    mb_off = ehsize + phentsize
    data_off = mb_off + 16
    memsz = len(code) if memsz is None else memsz
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, paddr, ehsize, 0, 0, ehsize, phentsize, 1, 40, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, data_off, paddr, paddr, len(code), memsz, 5, 0x1000)
    mb = multiboot_header() if multiboot else bytes(12)
    return eh + ph + mb + bytes(4) + code


def run(binary, args):
    return subprocess.run([binary] + args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def main():
    binary = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        def write(name, content):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(content)
            return path

        good = write("good.elf", elf32())
        cases = [
            ("missing file", [os.path.join(tmp, "nope.elf")], EXIT_BAD_IMAGE, "cannot open"),
            ("directory", [tmp], EXIT_BAD_IMAGE, "cannot read"),
            ("empty file", [write("empty.elf", b"")], EXIT_BAD_IMAGE, "empty file"),
            ("not an ELF", [write("text.elf", b"#!/bin/sh\necho hi\n" * 10)], EXIT_BAD_IMAGE, "not an ELF"),
            ("no multiboot header", [write("nomb.elf", elf32(multiboot=False))], EXIT_BAD_IMAGE,
             "no multiboot header"),
            ("truncated ELF", [write("trunc.elf", elf32()[:70])], EXIT_BAD_IMAGE, "truncated"),
            ("truncated segment", [write("trunc2.elf", elf32(code=b"\x90" * 4096)[:1000])], EXIT_BAD_IMAGE,
             "truncated"),
            ("segment outside memory", ["--memory", "2M", write("high.elf", elf32(paddr=0x1000000))],
             EXIT_BAD_IMAGE, "outside guest memory"),
            ("bad --memory", ["--memory", "lots", good], EXIT_USAGE, "--memory"),
            ("--memory too small", ["--memory", "1M", good], EXIT_USAGE, "--memory"),
            ("--memory too large", ["--memory", "4G", good], EXIT_USAGE, "--memory"),
            ("bad --max-instructions", ["--max-instructions", "many", good], EXIT_USAGE, "--max-instructions"),
            ("unknown option", ["--frobnicate", good], EXIT_USAGE, "frobnicate"),
            ("no guest", [], EXIT_USAGE, "guest"),
            ("bad --serial", ["--serial", os.path.join(tmp, "no", "such", "dir"), good], EXIT_USAGE, "--serial"),
        ]
        for name, args, want_status, want_text in cases:
            result = run(binary, ["run"] + args)
            lines = result.stderr.splitlines()
            problems = []
            if result.returncode != want_status:
                problems.append(f"exit status {result.returncode}, expected {want_status}")
            if len(lines) != 1 or not lines[0].startswith("rewind: error:"):
                problems.append(f"stderr is not one 'rewind: error:' line: {result.stderr!r}")
            elif want_text not in lines[0]:
                problems.append(f"stderr {lines[0]!r} does not mention {want_text!r}")
            if result.stdout:
                problems.append(f"unexpected stdout {result.stdout!r}")
            status = "ok" if not problems else "FAIL"
            print(f"{status}: {name}: {lines[0] if lines else '(no stderr)'}")
            if problems:
                failures.append(name)
                for p in problems:
                    print(f"    {p}")

        result = run(binary, [])
        if result.returncode != EXIT_USAGE or not result.stderr.startswith("rewind: error:"):
            failures.append("no subcommand")
            print(f"FAIL: no subcommand: status {result.returncode}, stderr {result.stderr!r}")

        print(f"{len(cases) + 1 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
