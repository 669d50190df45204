"""Isolation steps run inside the sandbox process before any candidate code (docs/sandbox.md).

Executed by `code_harness.py` (the host ships this module's compiled code in the job) in an interpreter
started with `-I -S`, so it uses the standard library only and imports nothing from or1. Every step
needs root (the host side refuses to start otherwise); the order matters and is commented where it does.

Process layout of one sandbox run:

    host verifier thread
      └─ outer  (Popen child, root, host PID namespace, own process group)
           └─ init   (PID 1 of a fresh PID namespace, root, chrooted)
                └─ worker (PID 2, unprivileged uid, rlimits) - runs the candidate program

When init dies the kernel kills every process left in its PID namespace, so killing the outer process group
(which holds init, and which the candidate cannot leave on init's behalf) removes everything the candidate
started, including processes that called setsid().
"""

from __future__ import annotations

# `_ctypes` is the C core of `ctypes`; importing `ctypes` itself costs 5-15 ms per run, most of a run's
# overhead, for class definitions this module does not need. Python 3.11 has no os.unshare/os.mount.
import _ctypes
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


class _CInt(_ctypes._SimpleCData):
    _type_ = "i"


class _CULong(_ctypes._SimpleCData):
    _type_ = "L"


class _LibcFunction(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _CInt


_libc = _ctypes.dlopen(None)
_unshare, _mount_fn, _prctl_fn = (
    _LibcFunction(_ctypes.dlsym(_libc, n)) for n in ("unshare", "mount", "prctl")
)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = _ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_mount_fn(enc[0], enc[1], enc[2], _CULong(flags), enc[3]), f"mount {target}")


def _prctl(option: int, value: int) -> None:
    _check(_prctl_fn(option, _CULong(value), _CULong(0), _CULong(0), _CULong(0)), f"prctl {option}")


def die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when its parent dies (and exit now if it already has).

    `parent_pid` is the parent as this process sees it: 0 for PID 1 of a namespace, whose parent is
    outside it.
    """
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(70)


def unshare_namespaces() -> None:
    """New mount, network, PID, IPC and UTS namespaces; mounts stop propagating to the host.

    The network namespace has only a loopback device, left down: no route anywhere, not even localhost.
    The IPC namespace takes System V shared memory and message queues with it when it dies. The PID
    namespace applies to children: the next fork becomes its PID 1.
    """
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    _check(_unshare(flags), "unshare")
    # Without this, mounts below could propagate back to the host through shared mount peers.
    _mount(None, "/", None, MS_REC | MS_PRIVATE)


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


def build_root(root: str, extra_paths: list[str], tmp_mb: int, uid: int) -> None:
    """Assemble the jail's file tree on a fresh tmpfs at `root`.

    Visible: system directories and the Python installation (read-only, nosuid), a minimal /dev, and a
    private writable /tmp (size-capped tmpfs owned by the sandbox uid) that is the working directory.
    The tmpfs mounts live only in this mount namespace, so they vanish with the sandbox.
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
    opts = f"size={tmp_mb}m,mode=0700,uid={uid},gid={uid}"
    for path in ("/tmp", "/dev/shm"):
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        _mount("or1-tmp", root + path, "tmpfs", MS_NOSUID | MS_NODEV, opts)
    os.makedirs(root + "/proc", mode=0o555)


def enter_root(root: str) -> None:
    """Mount this PID namespace's /proc in the jail and chroot into it (run as PID 1 of the namespace)."""
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | 8)  # 8 = MS_NOEXEC
    os.chdir(root)
    os.chroot(".")
    os.chdir("/tmp")


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
