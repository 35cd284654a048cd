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
#
# The web timeline (`--web`, docs/web.md): loaded while connected to rewind (or before
# `target remote`), the script says `monitor web-follow on`, which lets the page seek while
# gdb is stopped, and before each prompt asks whether the page moved the guest; if it did,
# it refreshes the caches and shows the frame there. gdb waits at its prompt for input, so
# after "Go here" on the page it follows at its next prompt: after the next command (e.g.
# `rewind when`), whose own output may still be from the old place.
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


_following = {"connection": None, "rewind": False}


def _connection():
    inferior = gdb.selected_inferior()
    conn = getattr(inferior, "connection", None)
    return (inferior.num, conn.num if conn is not None else inferior.pid) if inferior.pid else None


def _follow_the_page():
    """Before each prompt: tell a newly connected rewind that gdb follows the page, then pick
    up a move the page made (one cheap monitor command while gdb is stopped)."""
    try:
        connection = _connection()
        if connection is None or gdb.selected_thread() is None or gdb.selected_thread().is_running():
            return
        if _following["connection"] != connection:
            _following["connection"] = connection
            _following["rewind"] = False
            _following["rewind"] = _monitor("web-follow on").startswith("web-follow")
        if not _following["rewind"]:
            return  # another stub: asked once per connection
        reply = _monitor("web-follow")
    except gdb.error:
        return  # not rewind, or not connected
    if reply.startswith("web-follow: moved to icount"):
        gdb.write("rewind: the web timeline moved the guest to icount " + reply.split()[-1] + "\n")
        gdb.execute("maintenance flush register-cache")
        gdb.execute("frame")


gdb.events.before_prompt.connect(_follow_the_page)

for command in (Rewind, RewindWhen, RewindEvents, RewindSeek, RewindGoto, RewindGotoEvent):
    command()
