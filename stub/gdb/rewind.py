# gdb commands for rewind's time travel, on top of its monitor commands. In gdb:
#
#   source /path/to/rewind/stub/gdb/rewind.py
#
#   rewind when                  where the guest is in its history, and the snapshots
#   rewind events [FROM [TO]]    the journaled deliveries (disk completions, serial input, ...)
#   rewind seek ICOUNT           go to that instruction count
#   rewind goto event N          go to where event N (as `rewind events` numbers them) was delivered
#
# A bare `monitor seek` moves the guest behind gdb's back; these refresh gdb's register and
# frame caches afterwards, so that `bt`, `info registers` and `x` show the new place.
import gdb


def _monitor(command):
    return gdb.execute("monitor " + command, to_string=True)


def _moved(reply):
    gdb.write(reply)
    if reply.startswith("now at icount"):
        gdb.execute("maintenance flush register-cache")
        gdb.execute("frame")


class Rewind(gdb.Command):
    """rewind's time travel: rewind when | events [FROM [TO]] | seek ICOUNT | goto event N."""

    def __init__(self):
        super().__init__("rewind", gdb.COMMAND_RUNNING, gdb.COMPLETE_NONE, True)


class RewindWhen(gdb.Command):
    """Where the guest is in its recorded history, and its snapshots."""

    def __init__(self):
        super().__init__("rewind when", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        gdb.write(_monitor("when"))


class RewindEvents(gdb.Command):
    """The journaled deliveries between two instruction counts, or around now."""

    def __init__(self):
        super().__init__("rewind events", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        gdb.write(_monitor(("events " + arg).strip()))


class RewindSeek(gdb.Command):
    """Go to an instruction count of the recorded history."""

    def __init__(self):
        super().__init__("rewind seek", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        _moved(_monitor("seek " + arg.strip()))


class RewindGoto(gdb.Command):
    """rewind goto event N: go to where event N was delivered (its deliveries done)."""

    def __init__(self):
        super().__init__("rewind goto", gdb.COMMAND_RUNNING, gdb.COMPLETE_NONE, True)


class RewindGotoEvent(gdb.Command):
    """Go to where event N (as `rewind events` numbers them) was delivered."""

    def __init__(self):
        super().__init__("rewind goto event", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        _moved(_monitor("seek event " + arg.strip()))


for command in (Rewind, RewindWhen, RewindEvents, RewindSeek, RewindGoto, RewindGotoEvent):
    command()
