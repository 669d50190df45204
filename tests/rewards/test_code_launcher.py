"""The sandbox launcher (rewards/code/launcher.py): every run still gets fresh, isolated processes; the launcher
survives whatever a run does, is replaced when it dies, holds no job data, and leaks nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest
from test_code_hostile import children, mounts_of, sandbox_processes, wait_until_clean

from or1.rewards.code.sandbox import Sandbox, SandboxLimits

LIMITS = SandboxLimits(time_limit_s=5.0)


@pytest.fixture
def sandbox():
    box = Sandbox()
    yield box
    box.close()


def output(box: Sandbox, program: str, stdin: bytes = b"") -> str:
    """The program's stdout from one run (asserting that it ran to the end)."""
    report = box.run(program, [stdin], None, LIMITS)
    assert report.ended == "done", report
    assert report.frames[0].status == "ok", report.frames[0]
    return report.frames[0].payload.decode()


def test_crashing_runs_leave_the_launcher_serving(sandbox):
    assert output(sandbox, "print(1)") == "1\n"
    launcher = sandbox.launcher.pid
    segfault = sandbox.run("import ctypes\nctypes.string_at(0)", [b""], None, LIMITS)
    assert (segfault.ended, segfault.exit_code) == ("exited", 128 + signal.SIGSEGV)
    killed = sandbox.run("import os\nos.kill(os.getpid(), 9)", [b""], None, LIMITS)
    assert (killed.ended, killed.exit_code) == ("exited", 128 + signal.SIGKILL)
    assert sandbox.launcher.pid == launcher
    assert output(sandbox, "print(2)") == "2\n"
    wait_until_clean(launcher)
    assert children(launcher) == [] and sandbox_processes() == []


def test_a_killed_launcher_is_replaced(sandbox):
    assert output(sandbox, "print(1)") == "1\n"
    old = sandbox.launcher.pid
    os.kill(old, signal.SIGKILL)
    time.sleep(0.05)
    assert output(sandbox, "print(2)") == "2\n"
    assert sandbox.launcher.pid not in (None, old)


def test_runs_die_with_the_launcher(sandbox):
    """Killing the launcher mid-run ends that run (parent-death signals), with no process left."""
    assert output(sandbox, "print(1)") == "1\n"
    launcher = sandbox.launcher.pid
    reports = []
    sleeper = "import time\ntime.sleep(30)"
    worker = threading.Thread(target=lambda: reports.append(sandbox.run(sleeper, [b""], None, LIMITS)))
    worker.start()
    deadline = time.monotonic() + 5
    while not sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.monotonic()
    os.kill(launcher, signal.SIGKILL)
    worker.join(10)
    assert time.monotonic() - start < 2
    assert reports[0].ended == "exited" and not reports[0].frames
    wait_until_clean(launcher)
    assert sandbox_processes() == []


def test_a_run_sees_only_its_own_descriptors_processes_and_tmp(sandbox):
    program = (
        "import os, stat\n"
        "def kind(fd):\n    try:\n        mode = os.fstat(fd).st_mode\n    except OSError:\n        return None\n"
        "    return 'pipe' if stat.S_ISFIFO(mode) else os.readlink(f'/proc/self/fd/{fd}')\n"
        # the result pipe and the test's stdout memfd; no launcher socket, lifeline or job memfd
        "print([kind(fd) for fd in range(3, 64) if kind(fd)])\n"
        "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"  # its own PID namespace
        "print(os.getcwd(), os.listdir('.'))\n"  # an empty private /tmp
        "open('mine', 'w').write('x')\n"
    )
    first = output(sandbox, program)
    assert first == "['pipe', '/memfd:stdout (deleted)']\n[1, 2]\n/tmp []\n"
    assert output(sandbox, program) == first  # the next run's /tmp is empty again


def test_the_jail_root_is_read_only(sandbox):
    program = (
        "import os\n"
        "for path in ('/x', '/usr/x', '/dev/x', '/proc/x', '/etc/x'):\n"
        "    try:\n        open(path, 'w')\n        print('wrote', path)\n    except OSError:\n        pass\n"
        "print('done')\n"
    )
    assert output(sandbox, program) == "done\n"


def test_each_run_is_a_fresh_process(sandbox):
    """State a program leaves in its (forked) interpreter never reaches the next run; random state differs."""
    assert output(sandbox, "import math, builtins\nmath.pi = 3\nbuiltins.print = None") == ""
    assert output(sandbox, "import math\nprint(math.pi)") == "3.141592653589793\n"
    draws = {output(sandbox, "import random\nprint(random.random())") for _ in range(3)}
    assert len(draws) == 3


def _memory_contains(pid: int, needle: bytes) -> bool:
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            addresses, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            start, end = (int(a, 16) for a in addresses.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, OverflowError, ValueError):
                continue  # [vsyscall] and the like
    return False


def test_the_launcher_never_holds_a_job(sandbox):
    """Runs are forked from the launcher, so it must not keep programs or inputs of earlier runs."""
    marker = uuid.uuid4().hex
    assert output(sandbox, f"s = '{marker}'\nprint(input())", f"{marker[::-1]}\n".encode()) == marker[::-1] + "\n"
    launcher = sandbox.launcher.pid
    assert not _memory_contains(launcher, marker.encode())
    assert not _memory_contains(launcher, marker[::-1].encode())
    assert _memory_contains(launcher, b"or1-sandbox")  # the scan does see the launcher's own data


def test_concurrent_runs_leak_nothing(sandbox):
    assert output(sandbox, "print(1)") == "1\n"
    launcher = sandbox.launcher.pid
    before = mounts_of(str(launcher)), len(os.listdir(f"/proc/{launcher}/fd")), len(os.listdir("/proc/self/fd"))
    outputs: list[str] = []

    def many(k: int) -> None:
        outputs.extend(output(sandbox, f"print({k} + int(input()))", b"%d\n" % i) for i in range(10))

    threads = [threading.Thread(target=many, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outputs) == sorted(f"{k * 100 + i}\n" for k in range(4) for i in range(10))
    wait_until_clean(launcher)
    assert children(launcher) == [] and sandbox_processes() == []
    after = mounts_of(str(launcher)), len(os.listdir(f"/proc/{launcher}/fd")), len(os.listdir("/proc/self/fd"))
    assert after == before  # no mount or descriptor left, in the launcher or here


def test_close_stops_the_launcher():
    box = Sandbox()
    assert output(box, "print(1)") == "1\n"
    launcher = box.launcher.pid
    box.close()
    assert not os.path.exists(f"/proc/{launcher}")
    assert output(box, "print(2)") == "2\n"  # a closed sandbox starts a new launcher when used again
    box.close()


def test_a_launcher_that_cannot_start_is_an_error_not_an_exception(tmp_path):
    box = Sandbox(base_dir=str(tmp_path / "box"))
    box.launcher.settings = {**box.launcher.settings, "root": str(tmp_path / "missing")}
    report = box.run("print(1)", [b""], None, LIMITS)
    assert report.ended == "error" and "launcher failed to start" in report.error
    box.close()
