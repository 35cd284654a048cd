#!/usr/bin/env python3
"""rewind on bad input: exactly one "rewind: error:" line on stderr and the documented status.

Every file named on the command line is checked before it is read: a FIFO (no writer ever
comes), /dev/zero, a directory or a file too large is refused at once. The subprocess
timeout only guards against a hang.

Usage: test_bad_input.py PATH/TO/rewind
"""
import os
import stat
import struct
import subprocess
import sys
import tempfile

EXIT_USAGE = 2
EXIT_HANG = 4
EXIT_BAD_IMAGE = 8
EXIT_BAD_RECORDING = 22

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


def sparse_file(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


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
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)  # nobody ever writes to it: opening it for reading would wait forever
        disk = write("disk.img", bytes(4 * 512))
        big = sparse_file(os.path.join(tmp, "big.elf"), 3 << 20)
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
            ("bad --engine", ["--engine", "fast", good], EXIT_USAGE, "bad --engine value 'fast': interp or jit"),
            ("bad --snapshot-interval", ["--snapshot-interval", "often", good], EXIT_USAGE, "--snapshot-interval"),
            ("bad --snapshot-memory", ["--snapshot-memory", "plenty", good], EXIT_USAGE, "--snapshot-memory"),
            ("--snapshot-memory below one snapshot", ["--snapshot-memory", "1K", good], EXIT_USAGE,
             "more than the snapshot memory budget"),
            ("unknown option", ["--frobnicate", good], EXIT_USAGE, "frobnicate"),
            ("no guest", [], EXIT_USAGE, "guest"),
            ("bad --serial", ["--serial", os.path.join(tmp, "no", "such", "dir"), good], EXIT_USAGE, "--serial"),
            ("guest is a FIFO", [fifo], EXIT_BAD_IMAGE, f"{fifo}: cannot read: it is a FIFO (named pipe), not a regular file"),
            ("guest is /dev/zero", ["/dev/zero"], EXIT_BAD_IMAGE, "/dev/zero: cannot read: it is a character device"),
            ("guest larger than --memory", ["--memory", "2M", big], EXIT_BAD_IMAGE,
             f"{big}: file too large to load (3145728 bytes; guest memory is 2 MiB)"),
            ("disk is a FIFO", [good, "-hda", fifo], EXIT_BAD_IMAGE,
             f"disk image {fifo}: is a FIFO (named pipe), not a regular file or block device"),
            ("disk is /dev/zero", [good, "--disk", "/dev/zero"], EXIT_BAD_IMAGE,
             "disk image /dev/zero: is a character device, not a regular file or block device"),
            ("disk is a directory", [good, "-hdc", tmp], EXIT_BAD_IMAGE, f"disk image {tmp}: is a directory"),
            ("--serial-in a directory", [good, "--serial-in", tmp], EXIT_USAGE,
             f"--serial-in {tmp}: is a directory, not a file, FIFO or character device"),
            ("--disk-save to a device", [good, "-hda", disk, "--disk-save", "/dev/null"], EXIT_USAGE,
             "--disk-save /dev/null: is a character device, not a regular file"),
            ("--disk-save to a FIFO", [good, "-hda", disk, "--disk-save", fifo], EXIT_USAGE,
             f"--disk-save {fifo}: is a FIFO (named pipe), not a regular file"),
            ("--disk-save into a missing directory", [good, "-hda", disk, "--disk-save", os.path.join(tmp, "no", "x.img")],
             EXIT_USAGE, f"--disk-save {os.path.join(tmp, 'no', 'x.img')}: {os.path.join(tmp, 'no')} is not a directory"),
            # Output files: opening a FIFO nobody reads for writing would wait for a reader.
            ("--serial to a FIFO nobody reads", [good, "--serial", fifo], EXIT_USAGE,
             f"--serial {fifo}: is a FIFO (named pipe) that nobody reads"),
        ]
        cases = [(name, ["run"] + args, status, want) for name, args, status, want in cases]
        cases += [
            ("record -o a FIFO nobody reads", ["record", "-o", fifo, good], EXIT_USAGE,
             f"{fifo}: is a FIFO (named pipe) that nobody reads"),
        ]
        for command in ("info", "replay"):
            cases += [
                (f"{command} of a FIFO", [command, fifo], EXIT_BAD_RECORDING,
                 f"{fifo}: is a FIFO (named pipe), not a regular file"),
                (f"{command} of /dev/zero", [command, "/dev/zero"], EXIT_BAD_RECORDING,
                 "/dev/zero: is a character device, not a regular file"),
                (f"{command} of a directory", [command, tmp], EXIT_BAD_RECORDING, f"{tmp}: is a directory"),
            ]
        for name, args, want_status, want_text in cases:
            result = run(binary, args)
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

        # A FIFO is a fine --serial-in, but the guest must not wait for its writer to start:
        # this one halts with interrupts off at once (status 4) while nobody has written.
        result = run(binary, ["run", good, "--serial-in", fifo])
        if result.returncode != EXIT_HANG or "rewind: error" in result.stderr:
            failures.append("--serial-in FIFO")
            print(f"FAIL: --serial-in FIFO without a writer: status {result.returncode}, stderr {result.stderr!r}")
        else:
            print("ok: --serial-in FIFO without a writer: the guest ran")
        # Refused --disk-save targets are left as they were (saving renames over the target).
        if not stat.S_ISFIFO(os.stat(fifo).st_mode) or not stat.S_ISCHR(os.stat("/dev/null").st_mode):
            failures.append("--disk-save targets kept")
            print("FAIL: a refused --disk-save target was replaced")

        print(f"{len(cases) + 3 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
