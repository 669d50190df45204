"""Inside the sandbox: set up one run's isolation, then run its program against its test inputs.

Entered by fork from `launcher.py` (a pre-started root process that has already imported this module,
`jail.py` and the prelude modules), so a run pays for no interpreter start and no imports. Standard
library only. Each run still gets fresh processes of its own (init, worker; see jail.py and
docs/sandbox.md); the launcher itself never sees a job's contents, only the file descriptors carrying it.

Protocol: fd 3 is a pipe to the host. One frame per event: a header line `INDEX STATUS SECONDS N M`
(INDEX -1 = ready, -2 = exit code) followed by N payload bytes (the program's stdout, or the JSON text of a
call's return value) and M bytes of error text. The host never sends expected outputs here, so whatever the
program does to this process (patching builtins, forging frames) it can only change what it reports as its
own output; the comparison happens outside.
"""

import builtins
import fcntl
import io
import marshal
import os
import select
import signal
import sys
import time
import types

# A top-level module here: launcher.py imports this file and jail.py from their directory.
import jail

RESULT_FD, LIFELINE_FD, JOB_FD = 3, 4, 5
_write, _now, _memfd = os.write, time.perf_counter, os.memfd_create


def send(
    i: int, status: str, seconds: float = 0.0, payload: bytes = b"", error: str = "", fd: int = RESULT_FD
) -> None:
    """Write one frame to the result pipe; exit quietly if the host has gone."""
    err = error[-2000:].encode("utf-8", "replace")
    data = b"%d %s %.6f %d %d\n" % (i, status.encode(), seconds, len(payload), len(err)) + payload + err
    try:
        while data:
            data = data[_write(fd, data) :]
    except OSError:
        os._exit(0)


def _classify(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError) and exc.errno == 27:  # EFBIG: RLIMIT_FSIZE reached
        return "output_limit"
    if isinstance(exc, SystemExit):
        return "ok" if exc.code in (None, 0) else "runtime_error"
    return "runtime_error"


def _error_text(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"
    except BaseException:  # a hostile __str__
        return type(exc).__name__


def _fresh_stdio(data: bytes) -> int:
    """Point fds 0/1 at new in-memory files holding `data` / nothing; return the output fd."""
    in_fd = _memfd("stdin")
    os.write(in_fd, data)
    os.lseek(in_fd, 0, 0)
    if in_fd != 0:  # the program may have closed fd 0 (`open(0)` closes it), so the memfd can be 0
        os.dup2(in_fd, 0)
        os.close(in_fd)
    out_fd = _memfd("stdout")
    if out_fd != 1:
        os.dup2(out_fd, 1)
    # The originals too: a program that writes to sys.__stdout__ must reach the fresh fd 1 (typeshed: Final).
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")  # type: ignore[misc]
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")  # type: ignore[misc]
    return out_fd


def _read_all(fd: int, cap: int) -> bytes:
    os.lseek(fd, 0, 0)
    chunks, total = [], 0
    while total <= cap:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    os.close(fd)
    return b"".join(chunks)


def _used_names(code: object) -> set:
    """Every name the compiled program (nested functions and classes included) may look up."""
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)  # type: ignore[attr-defined]
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))  # type: ignore[attr-defined]
    return names


def prelude(code: object, table: dict) -> dict:
    """The names LiveCodeBench's harness gives every program for free (`from typing import *`, ...).

    Only the modules this program uses are imported: `table` maps each prelude name to its module, so a
    program that never says `List` does not pay for importing typing.
    """
    out = {}
    for name in _used_names(code) & table.keys():
        module_name, attr = table[name]
        module = __import__(module_name, fromlist=["_"])
        out[name] = module if attr is None else getattr(module, attr)
    return out


def to_json(x: object, depth: int = 0) -> str:
    """JSON text of a return value, by its real type: subclasses cannot lie through __eq__/__repr__."""
    import _json

    if depth > 200:
        raise ValueError("return value nested too deeply")
    if x is None or x is True or x is False:
        return {None: "null", True: "true", False: "false"}[x]
    if isinstance(x, int):
        return int.__repr__(x)
    if isinstance(x, float):
        text = float.__repr__(x)
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(text, text)
    if isinstance(x, str):
        return _json.encode_basestring_ascii(str.__str__(x))
    if isinstance(x, (list, tuple)):
        items = list.__iter__(x) if isinstance(x, list) else tuple.__iter__(x)
        return "[" + ",".join(to_json(v, depth + 1) for v in items) + "]"
    if isinstance(x, dict):
        items = (
            f"{to_json(k if isinstance(k, str) else to_json(k, 1))}:{to_json(v, depth + 1)}"
            for k, v in dict.items(x)
        )
        return "{" + ",".join(items) + "}"
    raise ValueError(f"return value of type {type(x).__name__} is not JSON-serialisable")


class Runner:
    """Runs one program: stdin/stdout style (re-executed per test) or call-based (`fn_name`)."""

    def __init__(self, job: dict, code: types.CodeType) -> None:
        self.job, self.code = job, code
        self.cap = job["output_mb"] << 20
        self.builtins_snapshot = dict(builtins.__dict__)
        self.prelude = prelude(code, job["prelude"])

    def _globals(self) -> dict:
        return {**self.prelude, "__name__": "__main__", "__builtins__": builtins}

    def _finish(
        self, i: int, start: float, status: str, out_fd: int, err: str, payload: bytes | None
    ) -> None:
        try:
            sys.stdout.flush()
        except BaseException as exc:
            if _classify(exc) == "output_limit":
                status = "output_limit"
        out = _read_all(out_fd, self.cap)
        if len(out) >= self.cap:
            status = "output_limit"
        # Undo monkeypatched builtins, so the next test (and this harness) sees the real ones.
        builtins.__dict__.clear()
        builtins.__dict__.update(self.builtins_snapshot)
        send(i, status, _now() - start, out if payload is None else payload, err)

    def run_stdin(self) -> None:
        for i, data in enumerate(self.job["inputs"]):
            start = _now()
            out_fd = _fresh_stdio(data)
            status, err = "ok", ""
            try:
                exec(self.code, self._globals())
            except BaseException as exc:
                status, err = _classify(exc), _error_text(exc)
            self._finish(i, start, status, out_fd, err, None)

    def run_call(self) -> None:
        fn_name, start = self.job["fn_name"], _now()
        out_fd = _fresh_stdio(b"")
        namespace = self._globals()
        try:
            exec(self.code, namespace)
        except BaseException as exc:
            status = _classify(exc)  # exiting at the top level, even with code 0, defines nothing
            self._finish(
                0, start, "runtime_error" if status == "ok" else status, out_fd, _error_text(exc), b""
            )
            return
        cls = namespace.get("Solution")
        for i, args_data in enumerate(self.job["inputs"]):
            status, err, payload = "ok", "", b""
            try:
                is_method = isinstance(cls, type) and hasattr(cls, fn_name)
                fn = getattr(cls(), fn_name) if is_method and cls is not None else namespace[fn_name]
                # Decoded per test: a program that mutates its arguments cannot affect the next test.
                result = fn(*marshal.loads(args_data))
                status = "serialising"
                payload = to_json(result).encode()
                status = "ok"
            except BaseException as exc:
                err = _error_text(exc)
                status = "unserialisable" if status == "serialising" else _classify(exc)
                if status == "ok":
                    status = "runtime_error"  # sys.exit() inside a call is not a return value
            self._finish(i, start, status, out_fd, err, payload)
            start = _now()
            out_fd = _fresh_stdio(b"")


def worker(job: dict) -> None:
    """PID 2: rlimits, unprivileged uid, then the program; never returns."""
    jail.apply_limits(job["cpu_s"], job["memory_mb"], job["nproc"], job["output_mb"], job["nofile"])
    jail.drop_privileges(job["uid"])
    jail.die_with_parent(1)
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    sys.path[:0] = job["site_paths"]
    builtins.exit = builtins.quit = sys.exit  # type: ignore[assignment]  # normally added by the site module, which -S skips
    sys.setrecursionlimit(job["recursion_limit"])
    send(-1, "ready")
    try:
        runner = Runner(job, compile(job["program"], "<program>", "exec"))
    except BaseException as exc:
        send(
            0, "runtime_error" if isinstance(exc, SyntaxError) else _classify(exc), 0.0, b"", _error_text(exc)
        )
        os._exit(0)
    if job["fn_name"]:
        runner.run_call()
    else:
        runner.run_stdin()
    os._exit(0)


def _wait_exit_code(pid: int) -> int:
    """Wait for `pid`, reaping any other child meanwhile; its exit code, or 128 + signal."""
    while True:
        reaped, status = os.wait()
        if reaped == pid:
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _pin_fds(fds: list[int]) -> None:
    """Move the run's descriptors to RESULT_FD, LIFELINE_FD, JOB_FD and close every other one above 2.

    Above all this closes the launcher's socket: nothing of a run can ever ask the launcher for anything.
    """
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]  # above any target: no clobbering
    for target, fd in enumerate(high, start=RESULT_FD):
        os.dup2(fd, target, inheritable=False)
    os.closerange(RESULT_FD + len(fds), os.sysconf("SC_OPEN_MAX"))


def _read_job(settings: dict) -> dict:
    """The job the host wrote into the JOB_FD memfd, with the launcher's settings (jail root, paths)."""
    chunks: list[bytes] = []
    while chunk := os.pread(JOB_FD, 1 << 20, sum(map(len, chunks))):
        chunks.append(chunk)
    os.close(JOB_FD)
    return {**marshal.loads(b"".join(chunks)), **settings}


def _await_worker(pid: int) -> int:
    """Wait until the worker exits (its exit code) or the host closes the lifeline (end the run)."""
    worker_fd = os.pidfd_open(pid)
    if LIFELINE_FD in select.select([worker_fd, LIFELINE_FD], [], [])[0]:
        # The host is done with this run (or gone). Kill the run's process group, then exit: PID 1's
        # death makes the kernel kill whatever is left in the namespace, setsid() escapees included.
        os.killpg(0, signal.SIGKILL)  # as the namespace's init, this process is immune to it
        os._exit(0)
    return _wait_exit_code(pid)


def _setup_init(fds: list[int], settings: dict) -> dict:
    """Everything init does before forking the worker; returns the job."""
    _pin_fds(fds)  # first: until then, RESULT_FD may be one of the launcher's descriptors
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the launcher ignores it to auto-reap runs
    os.setpgid(0, 0)
    jail.die_with_parent(0)
    job = _read_job(settings)
    jail.join_cgroups(job["cgroup_procs"])  # first: everything the run allocates from here on counts
    jail.unshare_run()
    jail.mount_private_tmp(job["root"], job["tmp_mb"], job["uid"])
    jail.enter_root(job["root"])
    jail.cap_sysv_ipc(job["tmp_mb"])
    return job


def init(fds: list[int], settings: dict) -> None:
    """PID 1 of a fresh PID namespace, forked from the launcher: isolate, fork the worker, report how it
    ended, exit (which ends the namespace); never returns.

    Args:
        fds: the result pipe, the lifeline (end of file = stop the run) and the job memfd, from the host.
        settings: the launcher's fixed settings (jail root, site paths, prelude table).
    """
    try:
        job = _setup_init(fds, settings)
        pid = os.fork()
        if pid == 0:
            os.close(LIFELINE_FD)
            worker(job)
        # The last frame: the host learns how the worker ended (e.g. 128 + SIGXCPU).
        send(-2, "exit", 0.0, b"%d" % _await_worker(pid))
    except BaseException as exc:
        send(-2, "error", 0.0, b"", "init: " + _error_text(exc))
    os._exit(0)
