"""Isolation steps run inside the sandbox before any candidate code (docs/sandbox.md).

Loaded by `launcher.py` in an interpreter started with `-I -S`, so it uses the standard library only
and imports nothing from or1. Every step needs root (the host side refuses to start otherwise); the order
matters and is commented where it does.

Process layout (the launcher is started once; everything below it is new for every program run):

    launcher (root, own mount namespace holding the read-only jail tree, built once)
      └─ init   (PID 1 of a fresh PID namespace, root, own process group; new mount, network, IPC and
           │     UTS namespaces; private /tmp; chrooted)
           └─ worker (PID 2, unprivileged uid, rlimits) - runs the candidate program

When init dies the kernel kills every process left in its PID namespace, including processes that left
init's process group with setsid(); init kills its process group and exits when the host ends the run.
"""

from __future__ import annotations

# Python 3.11 has no os.unshare/os.mount: libc through ctypes (imported once per launcher, not per run).
import ctypes
import os
import resource
import signal

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV = 1, 2, 4
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38

# Top-level paths made visible (read-only) inside the jail; everything else on the host is absent.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")


_libc = ctypes.CDLL(None, use_errno=True)
_unshare, _setns, _mount_fn, _prctl_fn = _libc.unshare, _libc.setns, _libc.mount, _libc.prctl


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_mount_fn(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def _prctl(option: int, value: int) -> None:
    args = (ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    _check(_prctl_fn(option, *args), f"prctl {option}")


def die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when its parent dies (and exit now if it already has).

    `parent_pid` is the parent as this process sees it: 0 for PID 1 of a namespace, whose parent is
    outside it.
    """
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(70)


def private_mounts() -> None:
    """A mount namespace of our own whose mounts never propagate back to the host (the launcher's)."""
    _check(_unshare(CLONE_NEWNS), "unshare")
    # Without this, mounts below could propagate back to the host through shared mount peers.
    _mount(None, "/", None, MS_REC | MS_PRIVATE)


def open_pid_namespace() -> int:
    """A descriptor of this process's own PID namespace, for `reset_pid_namespace`."""
    return os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)


def unshare_pid() -> None:
    """Make this process's next child PID 1 of a fresh PID namespace (this process stays where it is).

    May not be repeated while pending: `reset_pid_namespace` after the fork makes it possible again.
    """
    _check(_unshare(CLONE_NEWPID), "unshare")


def reset_pid_namespace(own_ns_fd: int) -> None:
    """Undo a pending `unshare_pid`: later children are born in this process's own PID namespace."""
    _check(_setns(own_ns_fd, CLONE_NEWPID), "setns")


def unshare_run() -> None:
    """New mount, network, IPC and UTS namespaces for one run (called by the run's init).

    The network namespace has only a loopback device, left down: no route anywhere, not even localhost.
    The IPC namespace takes System V shared memory and message queues with it when it dies. The mount
    namespace is a copy of the launcher's (read-only jail tree included), so this run's /tmp and /proc
    mounts stay its own.
    """
    _check(_unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")


def _bind_ro(source: str, target: str, is_dir: bool = True, nodev: int = MS_NODEV) -> None:
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        with open(target, "w"):
            pass
    _mount(source, target, None, MS_BIND | MS_REC)
    # A bind mount takes its read-only/nosuid flags only on a remount.
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | nodev)


def build_root(root: str, extra_paths: list[str]) -> None:
    """Assemble the jail's file tree on a fresh tmpfs at `root`, then make that tmpfs read-only.

    Built once per launcher and shared by every run (nothing in it is writable). Visible: system
    directories and the Python installation (read-only, nosuid), a minimal /dev, and empty mount points
    for the per-run /tmp, /dev/shm (`mount_private_tmp`) and /proc (`enter_root`).
    """
    _mount("or1-jail", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _bind_ro(path, root + path)
    for path in extra_paths:
        if os.path.isdir(path) and not os.path.exists(root + path):
            _bind_ro(path, root + path)
    os.makedirs(root + "/dev", mode=0o755)
    for dev in DEVICES:
        _bind_ro("/dev/" + dev, f"{root}/dev/{dev}", is_dir=False, nodev=0)
    os.symlink("/proc/self/fd", root + "/dev/fd")
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{i}", f"{root}/dev/{name}")
    for path in ("/tmp", "/dev/shm"):
        os.makedirs(root + path, mode=0o755, exist_ok=True)
    os.makedirs(root + "/proc", mode=0o555)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def mount_private_tmp(root: str, tmp_mb: int, uid: int) -> None:
    """This run's writable /tmp (the working directory) and /dev/shm: empty size-capped tmpfs owned by
    the run's uid. They live only in the run's mount namespace and vanish with it."""
    opts = f"size={tmp_mb}m,mode=0700,uid={uid},gid={uid}"
    for path in ("/tmp", "/dev/shm"):
        _mount("or1-tmp", root + path, "tmpfs", MS_NOSUID | MS_NODEV, opts)


def enter_root(root: str) -> None:
    """Mount this PID namespace's /proc in the jail and chroot into it (run as PID 1 of the namespace)."""
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | 8)  # 8 = MS_NOEXEC
    os.chdir(root)
    os.chroot(".")
    os.chdir("/tmp")


def join_cgroups(procs_files: list[str]) -> None:
    """Move this process into the run's cgroup(s), before it forks the worker (which inherits them).

    Writing "0" names the writer. Any failure raises: a run never goes on with less than the host promised.
    """
    for path in procs_files:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)


def cap_sysv_ipc(shm_mb: int) -> None:
    """Cap this run's IPC namespace: SysV shared memory to `shm_mb` in all, no SysV message queues.

    A new IPC namespace allows terabytes of shared memory by default, and a segment outlives its mapping
    (`shmdt`), so without this a process could hold far more than RLIMIT_AS where no cgroup counts it.
    Run as root in the run's IPC namespace, with its /proc mounted.
    """
    page = os.sysconf("SC_PAGE_SIZE")
    for name, value in (("shmmax", shm_mb << 20), ("shmall", (shm_mb << 20) // page), ("msgmni", 0)):
        with open(f"/proc/sys/kernel/{name}", "w") as f:
            f.write(str(value))


def apply_limits(cpu_s: int, memory_mb: int, nproc: int, fsize_mb: int, nofile: int) -> None:
    """Soft = hard rlimits, so the program cannot raise them again."""
    limits = {
        resource.RLIMIT_CPU: cpu_s,
        resource.RLIMIT_AS: memory_mb << 20,
        resource.RLIMIT_NPROC: nproc,  # counted per uid: each concurrent sandbox gets its own uid
        resource.RLIMIT_FSIZE: fsize_mb << 20,
        resource.RLIMIT_NOFILE: nofile,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_MEMLOCK: 0,
        resource.RLIMIT_MSGQUEUE: 0,
    }
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))


def drop_privileges(uid: int) -> None:
    """Become `uid`/`gid` with no supplementary groups, no capabilities and no way to regain them."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # Blocks privilege gain through exec (setuid binaries, file capabilities) for good.
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    # Not dumpable: no core files, and /proc/<pid> stays owned by root (the uid change reset it).
    _prctl(PR_SET_DUMPABLE, 0)
