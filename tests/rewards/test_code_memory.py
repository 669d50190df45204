"""Memory bounds of code verification (docs/sandbox.md): the host holds one test's output at a time, and a
run's total memory (memfds, SysV shared memory and all its processes included) is bounded by its cgroup,
and SysV shared memory, with or without cgroups, by the run's IPC namespace caps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from or1.rewards.code.cgroup import PREFIX
from or1.rewards.code.sandbox import Sandbox, SandboxLimits
from or1.rewards.code.verifier import CodeVerifier

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_CAP_MIB = SandboxLimits().output_mb
NEVER = {"inputs": [""], "outputs": ["never printed"]}

# Holds memory in memfds: outside RLIMIT_AS (no mapping), each one under the 16 MiB file-size limit.
MEMFDS = (
    "import os\nfds = []\nfor _ in range(40):\n    fd = os.memfd_create('x')\n"
    "    os.write(fd, b'x' * (16 << 20))\n    fds.append(fd)\nprint(len(fds))"
)
# SysV shared memory outlives its mapping (shmdt), so RLIMIT_AS does not bound it either.
SYSV_SHM = (
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.shmat.restype = ctypes.c_void_p\n"
    "libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]\n"
    "libc.shmdt.argtypes = [ctypes.c_void_p]\nheld = 0\nfor _ in range(16):\n"
    "    sid = libc.shmget(0, 32 << 20, 0o1600)\n    if sid < 0:\n        break\n"
    "    addr = libc.shmat(sid, None, 0)\n    ctypes.memset(addr, 1, 32 << 20)\n    libc.shmdt(addr)\n"
    "    held += 32\nprint(held)"
)
# Four processes of 200 MiB each: every one within RLIMIT_AS, together over a 512 MiB run limit.
FORKED = (
    "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
    "x = bytearray(200 << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\ntime.sleep(3)\nprint(1)"
)


@pytest.fixture(scope="module")
def verifier():
    with CodeVerifier(workers=1, time_limit_s=10.0, run_memory_mb=512) as v:
        yield v


def needs_cgroup(verifier: CodeVerifier) -> None:
    if verifier.sandbox.cgroup_parent is None:
        pytest.skip(f"no writable memory cgroup on this machine: {verifier.sandbox.memory_bound}")


def run_cgroups(verifier: CodeVerifier) -> list[Path]:
    parent = verifier.sandbox.cgroup_parent
    assert parent is not None
    return [d for base in filter(None, (parent.memory, parent.pids)) for d in base.glob(f"{PREFIX}-*")]


def test_padded_outputs_keep_host_memory_to_one_test():
    """12 tests x 15 MiB of trailing spaces: host peak RSS grows by one output (it grew by all 12)."""
    script = ROOT / "benchmarks" / "verify_code_memory.py"
    out = subprocess.run(
        [sys.executable, str(script), "--tests", "12", "--pad-mb", "15", "--json"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    m = json.loads(out)
    assert m["status"] == "ok", m
    assert m["peak_growth_mib"] < 1.5 * OUTPUT_CAP_MIB, m  # measured: +15.1 MiB (old code: +180)


@pytest.mark.parametrize("program", [MEMFDS, FORKED], ids=["memfds", "forked"])
def test_run_memory_is_bounded_by_its_cgroup(verifier, program):
    needs_cgroup(verifier)
    result = verifier.score_batch([program], [NEVER], mode="program")[0]
    assert result.status == "memory", result.detail


@pytest.mark.parametrize("cgroups", [True, False])
def test_sysv_shared_memory_stops_at_the_tmpfs_size(cgroups):
    """Capped by the run's IPC namespace with or without cgroups (it held 512 MiB, unbounded by rlimits)."""
    sandbox = Sandbox(cgroups=cgroups)
    try:
        limits = SandboxLimits(time_limit_s=10.0)
        report = sandbox.run(SYSV_SHM, [b""], None, limits)
        assert report.frames[0].status == "ok", report
        assert int(report.frames[0].payload) <= limits.tmp_mb
    finally:
        sandbox.close()


def test_run_cgroups_are_removed(verifier):
    needs_cgroup(verifier)
    ok = verifier.score_batch(["print(3)"], [{"inputs": [""], "outputs": ["3"]}], mode="program")[0]
    assert ok.status == "ok"
    verifier.sandbox.close()  # removes run cgroups still exiting when their run ended
    assert run_cgroups(verifier) == []


def test_without_cgroups_programs_still_run():
    """The fallback where no cgroup can be made (or cgroups=False): rlimits only, and programs pass."""
    sandbox = Sandbox(cgroups=False)
    try:
        assert sandbox.memory_bound.startswith("rlimits only")
        report = sandbox.run("print(3)", [b""], None, SandboxLimits())
        assert report.frames[0].status == "ok" and bytes(report.frames[0].payload) == b"3\n"
    finally:
        sandbox.close()
