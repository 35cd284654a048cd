# gdb script for the crash demo (scripts/demo): from the crash, back to the nested disk
# completion handler that lost a chunk of records. Run as
#   REWIND_PORT=1234 gdb -nx -batch -x find_lost_records.py build/guest/crash_demo.elf
# against `rewind run ... --gdb :1234 --wait-gdb` (or `rewind replay ... --gdb`). Exits gdb
# with status 0 when it found the handler, 3 when this run did not crash, 1 otherwise.
import os
import re

import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def say(text):
    print("demo: " + text, flush=True)


def icount():
    return int(re.search(r"icount (\d+)", run("monitor when")).group(1))


run(f"target remote 127.0.0.1:{os.environ['REWIND_PORT']}")
out = run("continue")
if "exiting with status 1:" in out:
    say("no crash this time (the completions never met at one instruction boundary)")
    run("kill")
    gdb.execute("quit 3")
if "panic" not in run("bt"):
    say("the guest stopped, but not in its panic:\n" + out + run("bt"))
    run("kill")
    gdb.execute("quit 1")
crash = icount()
say(f"the guest crashed at instruction {crash}: a page fault in the parent walk, reported by its panic")

# Which records are missing from the index the walk used.
n = int(gdb.parse_and_eval("nrecords"))
missing = [i for i in range(n) if int(gdb.parse_and_eval(f"(unsigned long)by_id[{i}]")) == 0]
stored = int(gdb.parse_and_eval("stored"))
lost_chunks = sorted({i // 8 for i in missing})
say(f"{stored} of {n} records were stored; missing: "
    + ", ".join(f"ids {c * 8}..{c * 8 + 7}" for c in lost_chunks)
    + f" ({len(lost_chunks)} chunk{'s' if len(lost_chunks) != 1 else ''} of 8 records)")

# Back through the completion handlers, each stopped where it claims its table slots
# (`stored = at + n`), until one runs on a deeper stack: nested in another handler.
run("break crash_demo.c:61")
normal_sp = None
found = None
for _ in range(64):
    out = run("reverse-continue")
    if "No more reverse-execution history" in out:
        break
    sp = int(gdb.parse_and_eval("(unsigned long)$sp"))
    if normal_sp is None:
        normal_sp = sp
    elif sp < normal_sp - 16:
        found = sp
        break
if found is None:
    say("no nested completion handler found")
    gdb.execute("quit 1")
nested_at = icount()
slot = int(gdb.parse_and_eval("stored"))
first = [int(gdb.parse_and_eval(f"((struct record *)chunk_buf[{c}])->id")) for c in (0, 1)]
say(f"instruction {nested_at}: a completion handler running INSIDE another one "
    f"(its stack is {normal_sp - found} bytes deeper than a handler's that interrupted the main loop):")
print(run("bt 2"), end="")
channels = ("primary", "secondary")
# The chunk this handler copied is one of those missing (the latest loss, going backwards).
lost = next((c for c in (0, 1) if first[c] in missing), None)
if lost is None:
    say(f"the two chunks in flight start at record ids {first[0]} (primary channel) and {first[1]} (secondary)")
else:
    other = 1 - lost
    say(f"it copied its chunk (records {first[lost]}..{first[lost] + 7}, {channels[lost]} channel) into "
        f"store[{slot}..{slot + 7}]; the handler it interrupted ({channels[other]} channel) had read "
        f"`at = stored` = {slot} before letting it in, and copies records {first[other]}..{first[other] + 7} "
        f"over the same slots")
# The journal around here: the two completions that met at one instruction boundary.
events = run("monitor events").splitlines()
same = [i for i, line in enumerate(events) if "same boundary" in line]
if same:
    say("the journal has their completions delivered at one instruction boundary:")
    for line in events[same[-1] - 1:same[-1] + 1]:
        print(line, flush=True)
run("delete")
run("tbreak crash_demo.c:61")
run("continue")
say(f"instruction {icount()}: the interrupted handler reaches the same line: stored is already "
    f"{int(gdb.parse_and_eval('stored'))}; it writes that value again, and the nested chunk's records are lost")
run("kill")
gdb.execute("quit 0")
