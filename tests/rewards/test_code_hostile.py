"""Hostile programs against the sandbox (docs/sandbox.md): each gets the right verdict, leaves the host as
it was, and the verifier keeps working afterwards.

Every program is bounded even if a protection were broken: the fork bomb forks at most 2**10 sleeping
processes, the 8 GB allocation is a lazily-zeroed bytearray, the output loop stops at 1 GB.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time

import pytest

from or1.rewards.code.sandbox import UID_BASE, UID_COUNT
from or1.rewards.code.verifier import CodeVerifier

GT = {"inputs": ["1 2\n"], "outputs": ["3\n"]}
SUM = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.fixture(scope="module")
def verifier():
    with CodeVerifier(workers=2, time_limit_s=1.0) as v:
        yield v


def sandbox_processes() -> list[str]:
    """Processes running as one of the sandbox uids."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                uid = int(f.read().split("Uid:")[1].split()[0])
        except (OSError, IndexError):
            continue
        if UID_BASE <= uid < UID_BASE + UID_COUNT:
            found.append(pid)
    return found


def mounts_of(pid: str = "self") -> str:
    with open(f"/proc/{pid}/mounts") as f:
        return f.read()


def children(pid: int) -> list[str]:
    """Processes whose parent is `pid` (a run's init, while it lives, is a child of the launcher)."""
    found = []
    for child in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{child}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(child)
    return found


def wait_until_clean(launcher_pid: int) -> None:
    """Wait (up to 2 s) until no sandbox process and no child of the launcher is left."""
    deadline = time.monotonic() + 2.0  # exiting tasks can linger a moment after the result pipe closes
    while (sandbox_processes() or children(launcher_pid)) and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def host_unchanged(verifier):
    """Checks after the test: no sandbox process or mount left (on the host and in the launcher), the
    launcher is the same process and has no run left, and the pool still works."""
    assert verifier.score_batch([SUM], [GT], mode="program")[0].status == "ok"  # starts the launcher
    launcher = verifier.sandbox.launcher.pid
    mounts, launcher_mounts = mounts_of(), mounts_of(str(launcher))
    yield
    wait_until_clean(launcher)
    assert sandbox_processes() == []
    assert children(launcher) == []
    assert mounts_of() == mounts
    assert verifier.sandbox.launcher.pid == launcher  # no hostile program brings the launcher down
    assert mounts_of(str(launcher)) == launcher_mounts
    assert os.listdir(verifier.sandbox.base / "jail") == []
    assert verifier.score_batch([SUM], [GT], mode="program")[0].status == "ok"


def run(verifier: CodeVerifier, program: str, gt: dict = GT, time_limit_s: float | None = None):
    return verifier.score_batch([program], [gt], mode="program", time_limits_s=[time_limit_s])[0]


def test_fork_is_capped(verifier, host_unchanged):
    program = (
        "import os, time\nkids = 0\nfor _ in range(50):\n    try:\n        pid = os.fork()\n"
        "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(1)\n        os._exit(0)\n"
        "    kids += 1\nprint(kids)"
    )
    result = run(verifier, program, {"inputs": [""], "outputs": ["7"]})  # RLIMIT_NPROC 8, the worker included
    assert result.status == "ok", result.detail


def test_fork_bomb(verifier, host_unchanged):
    program = (
        "import os, time\nfor _ in range(10):\n    try:\n        os.fork()\n    except OSError:\n"
        "        pass\ntime.sleep(30)"
    )
    start = time.monotonic()
    assert run(verifier, program).status == "timeout"
    assert time.monotonic() - start < 5


def test_8gb_allocation(verifier, host_unchanged):
    assert run(verifier, "x = bytearray(8 << 30)\nprint(3)").status == "memory"


def test_reading_outside(verifier, host_unchanged):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("3\n")  # the right answer, where a program should not be able to look
    os.chmod(f.name, 0o644)
    try:
        # this test's own source: a world-readable file of the checkout, outside the sandbox
        paths = [f.name, os.path.abspath(__file__), "/root/.bashrc", "/etc/shadow", "/proc/1/environ"]
        program = (
            f"for p in {paths!r}:\n    try:\n        print(open(p).read())\n        break\n"
            "    except OSError:\n        pass"
        )
        assert run(verifier, program).status == "wrong_answer"
    finally:
        os.unlink(f.name)


def test_writing_outside(verifier, host_unchanged):
    shared = tempfile.mkdtemp()
    os.chmod(shared, 0o777)  # world-writable on the host: only isolation keeps the program out
    targets = [os.path.join(shared, "pwned"), "/tmp/or1-pwned", "/var/tmp/or1-pwned", "/dev/shm/or1-pwned"]
    program = (
        f"import os\nfor p in {targets!r}:\n    try:\n        open(p, 'w').write('x')\n    except OSError:\n"
        "        pass\nopen('local.txt', 'w').write('ok')\nprint(open('local.txt').read() and 3)"
    )
    try:
        assert run(verifier, program).status == "ok"  # its own working directory is writable
        assert not any(os.path.exists(p) for p in targets)
    finally:
        os.rmdir(shared)


def test_socket(verifier, host_unchanged):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        port = server.getsockname()[1]
        program = (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=0.5).sendall(b'hi')\n    print(3)\n"
            "except OSError:\n    print('blocked')"
        )
        assert run(verifier, program).status == "wrong_answer"
        with pytest.raises(BlockingIOError):
            server.accept()


def test_1gb_output(verifier, host_unchanged):
    program = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)"
    assert run(verifier, program).status == "output_limit"


def test_killing_its_parent(verifier, host_unchanged):
    program = (
        f"import os, signal\nfor pid in (os.getppid(), 1, {os.getpid()}):\n    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n" + SUM
    )
    assert run(verifier, program).status == "ok"


def test_killing_everything_it_can(verifier, host_unchanged):
    assert run(verifier, "import os, signal\nos.kill(-1, signal.SIGKILL)\n" + SUM).status == "runtime_error"


def test_exit_before_printing(verifier, host_unchanged):
    assert run(verifier, "import sys\nsys.exit(0)\nprint(3)").status == "wrong_answer"
    assert run(verifier, "import os\nos._exit(0)").status == "runtime_error"


def test_fake_eq(verifier, host_unchanged):
    gt = {"inputs": [[1, 2]], "outputs": [3], "fn_name": "add"}
    always_equal = (
        "class Any:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Any()"
    )
    assert run(verifier, always_equal, gt).status == "wrong_answer"
    lying_int = "class N(int):\n    def __eq__(self, o):\n        return True\n    __hash__ = int.__hash__\n"
    lying_int += "    def __repr__(self):\n        return '3'\ndef add(a, b):\n    return N(a - b)"
    assert run(verifier, lying_int, gt).status == "wrong_answer"


def test_monkeypatched_builtins(verifier, host_unchanged):
    gt = {"inputs": [[1, 2], [2, 2]], "outputs": [3, 4], "fn_name": "add"}
    program = (
        "import builtins, json, os\n"
        "json.dumps = lambda *a, **k: '3'\n"
        "builtins.isinstance = lambda *a: True\n"
        "builtins.len = lambda x: 0\n"
        "os.write = lambda fd, data: len(data)\n"
        "def add(a, b):\n    return a * b"
    )
    assert run(verifier, program, gt).status == "wrong_answer"


def test_open_0_input(verifier, host_unchanged):
    gt = {"inputs": ["1 2\n", "30 4\n"], "outputs": ["3\n", "34\n"]}
    assert run(verifier, "print(sum(map(int, open(0).read().split())))", gt).status == "ok"


def test_sleeping_past_the_limit(verifier, host_unchanged):
    start = time.monotonic()
    result = run(verifier, "import time\ntime.sleep(60)\n" + SUM, time_limit_s=0.5)
    assert result.status == "timeout"
    assert time.monotonic() - start < 3
