#!/usr/bin/env python3
"""rewind run with disks: bad images, -hda..-hdd, base image untouched, write-back and
--disk-save, and host I/O fault injection (slow, reordered, failing): the guest keeps
working or retries after a proper ATA error, and nothing is lost.

    test_disks.py REWIND GUEST_DIR MAKE_DISK_IMAGE TESTS_GUESTS_DIR
"""
import hashlib
import os
import subprocess
import sys
import tempfile

rewind, guest_dir, make_image, guests_src = sys.argv[1:5]
failures = []


def run(*args, timeout=60):
    return subprocess.run([rewind, "run", *args], capture_output=True, text=True, timeout=timeout)


last = None


def run(*args, timeout=60):
    global last
    last = subprocess.run([rewind, "run", *args], capture_output=True, text=True, timeout=timeout)
    return last


def expect(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
        if last is not None:
            print(f"  status {last.returncode}\n  stdout: {last.stdout!r}\n  stderr: {last.stderr!r}")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def expected(name):
    with open(os.path.join(guests_src, "disks", name + ".expected")) as f:
        return f.read()


def without_retries(text):
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("retries:"))


with tempfile.TemporaryDirectory() as tmp:
    a, b = os.path.join(tmp, "a.img"), os.path.join(tmp, "b.img")
    subprocess.run([sys.executable, make_image, a, "4M", "--seed", "1"], check=True)
    subprocess.run([sys.executable, make_image, b, "3M", "--seed", "2"], check=True)
    hello = os.path.join(guest_dir, "hello.elf")
    disktest = os.path.join(guest_dir, "disktest.elf")
    disk_sum = os.path.join(guest_dir, "disk_sum.elf")

    # Bad images: one "rewind: error:" line naming the file, status 8, before the guest runs.
    small = os.path.join(tmp, "small.img")
    with open(small, "wb") as f:
        f.write(b"\0" * 100)
    partial = os.path.join(tmp, "partial.img")
    with open(partial, "wb") as f:
        f.write(b"\0" * 1000)
    for image, words in [(os.path.join(tmp, "missing.img"), "cannot open"), (small, "too small"),
                         (partial, "whole number"), (tmp, "")]:
        p = run(hello, "--disk", image)
        lines = p.stderr.strip().splitlines()
        expect(p.returncode == 8 and len(lines) == 1 and lines[0].startswith("rewind: error:") and
               image in lines[0] and words in lines[0] and p.stdout == "", f"bad image {os.path.basename(image)}: {p.stderr.strip()}")
    p = run(hello, "--disk", a, "--disk", a, "--disk", a, "--disk", a, "--disk", a)
    expect(p.returncode == 2 and "more than four" in p.stderr, "five disks: usage error")
    p = run(hello, "--disk", a, "--io-faults", "bogus=1")
    expect(p.returncode == 2 and "--io-faults" in p.stderr, "bad --io-faults: usage error")

    # -hda/-hdc as QEMU spells them; the images are untouched although the guest wrote to both.
    before_a, before_b = digest(a), digest(b)
    p = run(disktest, "-hda", a, "-hdc", b)
    expect(p.returncode == 1 and p.stdout == expected("disktest"), "disktest with -hda/-hdc")
    expect(digest(a) == before_a and digest(b) == before_b, "base images untouched without write-back")

    # --disk-save writes image + writes to new files; --disk-writeback into the images.
    sa, sb = os.path.join(tmp, "saved-a.img"), os.path.join(tmp, "saved-b.img")
    p = run(disktest, "--disk", a, "--hdc", b, "--disk-save", sa, "--disk-save", sb)
    expect(p.returncode == 1 and digest(a) == before_a and os.path.getsize(sa) == os.path.getsize(a) and
           digest(sa) != before_a and digest(sb) != before_b, "--disk-save writes new files, leaves the images")
    with open(a, "rb") as f, open(sa, "rb") as g:
        base, saved = f.read(), g.read()
    changed = [i for i in range(len(base) // 512) if base[i * 512:(i + 1) * 512] != saved[i * 512:(i + 1) * 512]]
    expect(changed == list(range(64, 192)), f"exactly the written sectors differ (64-191): {changed[:3]}...")
    copy, copy_b = os.path.join(tmp, "copy.img"), os.path.join(tmp, "copy-b.img")
    with open(copy, "wb") as f:
        f.write(base)
    with open(b, "rb") as f, open(copy_b, "wb") as g:
        g.write(f.read())
    p = run(disktest, "-hda", copy, "-hdc", copy_b, "--disk-writeback")
    expect(p.returncode == 1 and digest(copy) == digest(sa) and digest(copy_b) == digest(sb),
           "--disk-writeback puts the writes into the images")
    # Reading the written-back image sees the guest's data (its checksum changes accordingly).
    p = run(disk_sum, "-hda", copy)
    expect(p.returncode == 1 and "bad headers 128" in p.stdout, "a later run reads the written-back sectors")

    # Faults: slow and reordered I/O changes nothing the guest sees.
    for spec in ["seed=1,delay=0-2000", "seed=2,delay=100-500"]:
        p = run(disk_sum, "-hda", a, "-hdc", b, "--append", "irq=1 ext=1 chunk=256", "--io-faults", spec)
        expect(p.returncode == 1 and p.stdout == expected("disk_sum_irq_256"), f"disk-sum, slow host I/O ({spec})")
    # Failing I/O: the guest sees ATA errors, retries, and ends with the same data.
    for spec in ["seed=7,fail=30%", "seed=8,fail=20%,delay=0-300"]:
        p = run(disk_sum, "-hda", a, "-hdc", b, "--append", "irq=1 ext=1 chunk=256", "--io-faults", spec)
        expect(p.returncode == 1 and "retries:" in p.stdout and
               without_retries(p.stdout) == expected("disk_sum_irq_256"), f"disk-sum, failing host I/O ({spec})")
        p = run(disktest, "-hda", a, "-hdc", b, "--append", "irq=1", "--io-faults", spec, "--disk-save", sa)
        expect(p.returncode == 1 and "retries:" in p.stdout and without_retries(p.stdout) == expected("disktest_irq"),
               f"disktest, failing host I/O ({spec})")
        expect(digest(a) == before_a, "image untouched after failing writes")
    p = run(disktest, "-hda", a, "-hdc", b, "--io-faults", "fail=100%")
    expect(p.returncode != 0 and "FAILED" in p.stdout and "PANIC" not in p.stderr,
           "all host I/O failing: the guest reports errors, the emulator runs on")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all disk CLI checks passed")
