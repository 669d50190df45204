"""Per-run cgroups (rewards/code/cgroup.py): found where the machine offers them, absent where it does not,
limits set before a run joins, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from or1.rewards.code import cgroup as sandbox_cgroup
from or1.rewards.code.cgroup import PREFIX, RunCgroup, find_parent, sweep


@pytest.fixture(scope="module")
def parent():
    found = find_parent()
    if found is None:
        pytest.skip("no writable memory cgroup on this machine (the sandbox uses rlimits only)")
    return found


def test_no_cgroup_file_system_means_none(tmp_path, monkeypatch):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("22 1 0:21 / /proc rw,nosuid - proc proc rw\n")
    monkeypatch.setattr(sandbox_cgroup, "_MOUNTINFO", str(mountinfo))
    assert find_parent() is None


def test_limits_are_set_and_the_cgroup_removed(parent):
    group = RunCgroup.create(parent, f"{PREFIX}-test-{os.getpid()}-0", 123 << 20, 9)
    dirs = list(group.dirs)
    try:
        memory = "memory.max" if parent.kind == "v2" else "memory.limit_in_bytes"
        assert int((group.dirs[0] / memory).read_text()) == 123 << 20
        pids_dir = group.dirs[0] if parent.kind == "v2" else (group.dirs[1] if parent.pids else None)
        if pids_dir is not None:
            assert (pids_dir / "pids.max").read_text().strip() == "9"
        assert not group.oom_killed()
    finally:
        assert group.remove()
    assert not any(d.exists() for d in dirs)


def test_sweep_removes_cgroups_of_dead_owners_only(parent):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = parent.memory / f"{PREFIX}-7-{int(dead.stdout)}-0"
    ours = parent.memory / f"{PREFIX}-7-{os.getpid()}-0"
    leftover.mkdir()
    ours.mkdir()
    try:
        sweep(parent)
        assert not leftover.exists() and ours.exists()
    finally:
        for d in (leftover, ours):
            if d.exists():
                d.rmdir()
