# gdb commands for Toro's kernel threads, on both HALs.
#
#   toro threads            every kernel thread per CPU: number, name, state
#   toro thread N|NAME      show thread N (or the one thread named NAME):
#                           a running one selects its CPU, a switched-out one
#                           loads its saved registers into the selected CPU
#   toro restore            puts back the registers `toro thread` replaced
#                           and selects the CPU that was selected before it
#
# The kernel publishes where its schedulers are and the offsets of the
# fields read here in `toro_debug_layout` (kernel/process/debug_layout.cpp),
# so this needs only the symbol table: it works on the bare images, which
# carry no DWARF, as on hosted builds. Loaded by `./toro.sh debug`; by hand:
# `source tools/gdb/toro.py`.
#
# A switched-out thread's registers are where toro_switch_stacks
# (hal/arch/x86_64/context_switch.S) left them: r15 r14 r13 r12 rbx rbp and
# the return address, from its saved stack pointer up. Replacing the live
# registers with those is only for looking: every command that resumes the
# machine first runs `toro restore` (the hooks at the end).

import gdb

_MAGIC = 0x746F726F74687264  # "torothrd"
_FIELDS = (
    "magic version cpus cpu_stride cpu_count cpu_current cpu_run_queue cpu_inbox "
    "cpu_idle cpu_threads thread_stack_pointer thread_name thread_state thread_cpu "
    "thread_run_queue_next thread_inbox_next thread_cpu_list_next"
).split()
_STATES = {0: "ready", 1: "running", 2: "blocked", 3: "dead"}
_SAVED_ORDER = ("r15", "r14", "r13", "r12", "rbx", "rbp")  # lowest address first
_REPLACED = _SAVED_ORDER + ("rsp", "rip")

# gdb thread number -> the registers it had before `toro thread` replaced them.
_originals = {}
# The gdb thread selected before the first `toro thread`: where restore returns.
_home = None


def _read_u64(address):
    data = gdb.selected_inferior().read_memory(address, 8)
    return int.from_bytes(bytes(data), "little")


def _read_u8(address):
    return bytes(gdb.selected_inferior().read_memory(address, 1))[0]


def _read_string(address, limit=64):
    if address == 0:
        return "(unnamed)"
    try:
        data = bytes(gdb.selected_inferior().read_memory(address, limit))
    except gdb.MemoryError:
        return "(unreadable name)"
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def _layout():
    try:
        base = int(gdb.parse_and_eval("(unsigned long)&toro_debug_layout"))
    except gdb.error:
        raise gdb.GdbError("toro: no toro_debug_layout: is this a Toro kernel with symbols?")
    layout = {name: _read_u64(base + 8 * i) for i, name in enumerate(_FIELDS)}
    if layout["magic"] != _MAGIC:
        raise gdb.GdbError("toro: the scheduler has not started yet (break later than kernel_main's first line)")
    if layout["version"] != 1:
        raise gdb.GdbError("toro: toro_debug_layout version %d is newer than this script" % layout["version"])
    return layout


class KernelThread:
    def __init__(self, layout, address, cpu, is_current, is_idle):
        self.address = address
        self.cpu = cpu
        self.is_current = is_current
        self.is_idle = is_idle
        self.name = _read_string(_read_u64(address + layout["thread_name"]))
        self.state = _STATES.get(_read_u8(address + layout["thread_state"]), "?")
        if is_idle and not is_current:
            self.state = "ready"  # idle stays marked running while switched out
        self.stack_pointer = _read_u64(address + layout["thread_stack_pointer"])


def _chain(first, next_offset, limit=100000):
    """The addresses of a null-terminated list, stopping on a cycle."""
    seen = set()
    address = first
    while address != 0 and address not in seen and len(seen) < limit:
        seen.add(address)
        yield address
        address = _read_u64(address + next_offset)


def kernel_threads():
    """Every thread the schedulers know, per CPU: the running one, idle,
    those that have run, and those queued but never run yet."""
    layout = _layout()
    threads = []
    for cpu in range(layout["cpu_count"]):
        base = layout["cpus"] + cpu * layout["cpu_stride"]
        current = _read_u64(base + layout["cpu_current"])
        idle = base + layout["cpu_idle"]
        addresses = [idle]
        addresses += _chain(_read_u64(base + layout["cpu_threads"]), layout["thread_cpu_list_next"])
        addresses += _chain(_read_u64(base + layout["cpu_run_queue"]), layout["thread_run_queue_next"])
        addresses += _chain(_read_u64(base + layout["cpu_inbox"]), layout["thread_inbox_next"])
        if current != 0:
            addresses.insert(0, current)
        seen = set()
        for address in addresses:
            if address in seen:
                continue
            seen.add(address)
            threads.append(KernelThread(layout, address, cpu, address == current, address == idle))
    return threads


def _cpu_gdb_thread(cpu):
    """gdb's thread for CPU `cpu`: hosted, the host thread named toro-cpuN;
    booted, QEMU's vCPU N+1 (gdb numbers them from 1, in CPU order)."""
    inferior_threads = gdb.selected_inferior().threads()
    named = [t for t in inferior_threads if t.name == "toro-cpu%d" % cpu]
    if named:
        return named[0]
    if any((t.name or "").startswith("toro-cpu") for t in inferior_threads):
        return None
    by_number = sorted(inferior_threads, key=lambda t: t.num)
    return by_number[cpu] if cpu < len(by_number) else None


def _register(name):
    return int(gdb.parse_and_eval("(unsigned long)$%s" % name)) & 0xFFFFFFFFFFFFFFFF


def _set_registers(values):
    gdb.newest_frame().select()
    for name, value in values.items():
        gdb.execute("set $%s = %d" % (name, value), to_string=True)


def restore():
    global _home
    selected = _home if _home is not None else gdb.selected_thread()
    _home = None
    for number, values in list(_originals.items()):
        match = [t for t in gdb.selected_inferior().threads() if t.num == number]
        if match:
            match[0].switch()
            _set_registers(values)
    _originals.clear()
    if selected is not None and selected.is_valid():
        selected.switch()


def show_thread(thread):
    global _home
    if _home is None:
        _home = gdb.selected_thread()
    if thread.is_current:
        host = _cpu_gdb_thread(thread.cpu)
        if host is None:
            raise gdb.GdbError("toro: no gdb thread for cpu %d" % thread.cpu)
        host.switch()
        if host.num in _originals:  # its live registers are the thread's
            _set_registers(_originals.pop(host.num))
        return
    if thread.stack_pointer == 0:
        raise gdb.GdbError("toro: thread '%s' has no saved context" % thread.name)
    host = gdb.selected_thread()
    if host.num not in _originals:
        gdb.newest_frame().select()
        _originals[host.num] = {name: _register(name) for name in _REPLACED}
    saved = {name: _read_u64(thread.stack_pointer + 8 * i) for i, name in enumerate(_SAVED_ORDER)}
    saved["rip"] = _read_u64(thread.stack_pointer + 8 * len(_SAVED_ORDER))
    saved["rsp"] = thread.stack_pointer + 8 * (len(_SAVED_ORDER) + 1)
    _set_registers(saved)


class ToroPrefix(gdb.Command):
    """Toro kernel commands: toro threads, toro thread N|NAME, toro restore."""

    def __init__(self):
        super().__init__("toro", gdb.COMMAND_USER, prefix=True)


class ToroThreads(gdb.Command):
    """List kernel threads per CPU: number, CPU, name, state, address.
A '*' marks the thread each CPU runs now."""

    def __init__(self):
        super().__init__("toro threads", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        threads = kernel_threads()
        print("  #  CPU  %-20s %-8s %s" % ("THREAD", "STATE", "ADDRESS"))
        for number, thread in enumerate(threads):
            mark = "*" if thread.is_current else " "
            print("%s%2d  %3d  %-20s %-8s 0x%x" % (mark, number, thread.cpu, thread.name,
                                                  thread.state, thread.address))


class ToroThread(gdb.Command):
    """Switch to kernel thread N (as `toro threads` numbers them) or NAME.
`bt`, `frame`, `info registers` then show that thread; `toro restore` (or
any command that resumes the machine) puts the CPU's registers back."""

    def __init__(self):
        super().__init__("toro thread", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        argument = argument.strip()
        if not argument:
            raise gdb.GdbError("usage: toro thread N|NAME")
        threads = kernel_threads()
        if argument.isdigit():
            if int(argument) >= len(threads):
                raise gdb.GdbError("toro: no thread %s (toro threads lists %d)" % (argument, len(threads)))
            chosen = threads[int(argument)]
        else:
            named = [t for t in threads if t.name == argument]
            if len(named) != 1:
                raise gdb.GdbError("toro: %d threads are named '%s'; give its number" % (len(named), argument))
            chosen = named[0]
        show_thread(chosen)
        print("[toro thread '%s' on cpu %d, %s]" % (chosen.name, chosen.cpu, chosen.state))
        gdb.execute("frame", to_string=False)


class ToroRestore(gdb.Command):
    """Put back the registers `toro thread` replaced."""

    def __init__(self):
        super().__init__("toro restore", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        restore()


ToroPrefix()
ToroThreads()
ToroThread()
ToroRestore()

# Whatever resumes the machine runs on its real registers.
for _command in ("continue", "next", "step", "stepi", "nexti", "finish", "until", "advance",
                 "jump", "signal", "kill", "detach", "run", "start"):
    gdb.execute("define hook-%s\ntoro restore\nend" % _command)
