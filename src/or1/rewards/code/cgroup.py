"""A cgroup per sandbox run: one bound on the run's total memory and tasks (docs/sandbox.md).

rlimits bound each process's address space, but not what a run holds outside it (memfds, tmpfs pages,
SysV shared memory) nor the sum over its processes. A memory cgroup counts all of it. Where this machine
lets us make cgroups, each run gets a child cgroup with a memory and a task limit; the run's init moves
itself in before it forks the worker, and the host removes the cgroup when the run is over. Where it does
not, `find_parent` returns None and the rlimits are the only bound.

Two layouts are recognised: cgroup v2 with the memory and pids controllers enabled for the children of
this process's cgroup (or enableable: the root cgroup), and the v1 memory hierarchy (plus v1 pids where
mounted), as on hybrid hosts.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["CgroupParent", "RunCgroup", "find_parent", "sweep"]

PREFIX = "or1-run"
_MOUNTINFO, _OWN = "/proc/self/mountinfo", "/proc/self/cgroup"


@dataclass(frozen=True)
class CgroupParent:
    """Where per-run cgroups are made.

    Attributes:
        kind: "v2" or "v1".
        memory: the directory whose children get the memory (and, v2, the task) limit.
        pids: v1 only, the pids-hierarchy directory whose children get the task limit (None if absent).
    """

    kind: Literal["v2", "v1"]
    memory: Path
    pids: Path | None = None

    def describe(self) -> str:
        """One line saying which limit is in force, for logs and `or1 verify code`."""
        return f"cgroup {self.kind} under {self.memory}"


def _mounts() -> dict[str, tuple[str, str]]:
    """Controller ("unified" for v2) -> (mount point, mount root) of the cgroup file systems."""
    found: dict[str, tuple[str, str]] = {}
    with open(_MOUNTINFO) as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            fstype, options = fields[sep + 1], fields[sep + 3].split(",")
            if fstype == "cgroup2":
                found.setdefault("unified", (fields[4], fields[3]))
            elif fstype == "cgroup":
                for controller in ("memory", "pids"):
                    if controller in options:
                        found.setdefault(controller, (fields[4], fields[3]))
    return found


def _own_paths() -> dict[str, str]:
    """Controller ("unified" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    with open(_OWN) as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else ["unified"]:
                paths[name] = path
    return paths


def _dir(mount: tuple[str, str], path: str) -> Path:
    point, root = mount
    if root != "/" and path.startswith(root):  # a bind mount of a sub-tree (containers)
        path = path[len(root) :]
    return Path(point + path)


def _v2_ready(parent: Path) -> bool:
    """Whether children of `parent` get the memory and pids controllers (enabling them if we may)."""
    wanted = {"memory", "pids"}
    if wanted <= set((parent / "cgroup.subtree_control").read_text().split()):
        return True
    if not wanted <= set((parent / "cgroup.controllers").read_text().split()):
        return False
    # Succeeds only where `parent` has no processes of its own or is the root (the kernel's rule).
    (parent / "cgroup.subtree_control").write_text("+memory +pids")
    return True


def _probe(parent: CgroupParent) -> bool:
    """Make and remove one cgroup with its limits set, to learn that runs can have one."""
    try:
        RunCgroup.create(parent, f"{PREFIX}-probe-{os.getpid()}-0", 64 << 20, 8).remove()
    except OSError:
        return False
    return True


def find_parent() -> CgroupParent | None:
    """The cgroup layout runs can use on this machine, or None (rlimits only)."""
    try:
        mounts, own = _mounts(), _own_paths()
    except (OSError, ValueError, IndexError):
        return None
    candidates = []
    if "unified" in mounts and "unified" in own:
        v2 = _dir(mounts["unified"], own["unified"])
        try:
            if _v2_ready(v2):
                candidates.append(CgroupParent("v2", v2))
        except OSError:
            pass
    if "memory" in mounts and "memory" in own:
        pids = _dir(mounts["pids"], own["pids"]) if "pids" in mounts and "pids" in own else None
        candidates.append(CgroupParent("v1", _dir(mounts["memory"], own["memory"]), pids))
    return next((c for c in candidates if _probe(c)), None)


def sweep(parent: CgroupParent) -> None:
    """Remove run cgroups left by verifier processes that died mid-run.

    Run cgroups are named `or1-run-<uid>-<owner pid>-<n>`; those of an owner still alive are left alone.
    """
    for base in filter(None, (parent.memory, parent.pids)):
        for d in base.glob(f"{PREFIX}-*"):
            owner = d.name.split("-")[-2]
            if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
                RunCgroup(parent.kind, [d]).remove(timeout_s=0.0)


@dataclass
class RunCgroup:
    """The cgroup(s) of one run: one directory (v2), or one per v1 hierarchy (memory, pids)."""

    kind: Literal["v2", "v1"]
    dirs: list[Path]

    @classmethod
    def create(cls, parent: CgroupParent, name: str, memory_bytes: int, tasks: int) -> RunCgroup:
        """Make the run's cgroup(s) with the limits set, before any process is in them.

        Raises:
            OSError: the cgroup cannot be made or limited (what was made is removed again).
        """
        dirs = [parent.memory / name] + ([parent.pids / name] if parent.pids else [])
        group = cls(parent.kind, [])
        try:
            for d in dirs:
                d.mkdir()
                group.dirs.append(d)
            if parent.kind == "v2":
                _write(dirs[0], {"memory.max": memory_bytes, "pids.max": tasks, "memory.oom.group": 1})
                _write(dirs[0], {"memory.swap.max": 0}, optional=True)  # no swap to escape into
            else:
                _write(dirs[0], {"memory.limit_in_bytes": memory_bytes})
                _write(dirs[0], {"memory.memsw.limit_in_bytes": memory_bytes}, optional=True)
                if len(dirs) > 1:
                    _write(dirs[1], {"pids.max": tasks})
        except OSError:
            group.remove()
            raise
        return group

    @property
    def procs(self) -> list[str]:
        """The `cgroup.procs` files the run's init writes "0" into to move itself in."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of this run for going over its memory limit."""
        name = "memory.events" if self.kind == "v2" else "memory.oom_control"
        try:
            lines = (self.dirs[0] / name).read_text().splitlines()
        except OSError:
            return False
        return any(line.split()[:1] == ["oom_kill"] and int(line.split()[1]) > 0 for line in lines)

    def remove(self, timeout_s: float = 2.0) -> bool:
        """Remove the directories; True when all are gone.

        The kernel refuses (EBUSY) while a task of the run is still exiting, which takes a moment after the
        run's result pipe closed, so this retries until `timeout_s`.
        """
        deadline = time.monotonic() + timeout_s
        while self.dirs:
            try:
                self.dirs[-1].rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                    return False
                time.sleep(0.002)
                continue
            self.dirs.pop()
        return True


def _write(directory: Path, values: dict[str, int], optional: bool = False) -> None:
    for name, value in values.items():
        path = directory / name
        if optional and not path.exists():
            continue
        path.write_text(str(value))
