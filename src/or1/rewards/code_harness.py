"""Inside the sandbox: set up isolation, then run one program against its test inputs (docs/sandbox.md).

Started by `or1.rewards.sandbox` as `python -I -S -B code_harness.py JOB_FILE HOST_PID`, as root. Standard
library only, and as few imports as possible: interpreter start-up is most of a run's cost. Site-packages
are not loaded at start (nothing from the host's .pth files runs); the job lists the directories the
program may import from.

Protocol: fd 3 is a pipe to the host. One frame per event: a header line `INDEX STATUS SECONDS N M`
(INDEX -1 = ready, -2 = exit code) followed by N payload bytes (the program's stdout, or the JSON text of a
call's return value) and M bytes of error text. The host never sends expected outputs here, so whatever the
program does to this process (patching builtins, forging frames) it can only change what it reports as its
own output; the comparison happens outside.
"""

import builtins
import io
import marshal
import os
import sys
import time

RESULT_FD = 3
_write, _now, _memfd = os.write, time.perf_counter, os.memfd_create


def _load_jail(code: bytes) -> object:
    """code_jail.py as a module, from the compiled code the host sent (`-I` keeps its directory off
    sys.path on purpose, and compiling it here on every run would cost a millisecond or two)."""
    module = type(sys)("_or1_code_jail")
    exec(marshal.loads(code), module.__dict__)
    return module


def send(i: int, status: str, seconds: float = 0.0, payload: bytes = b"", error: str = "") -> None:
    """Write one frame to the result pipe; exit quietly if the host has gone."""
    err = error[-2000:].encode("utf-8", "replace")
    data = b"%d %s %.6f %d %d\n" % (i, status.encode(), seconds, len(payload), len(err)) + payload + err
    try:
        while data:
            data = data[_write(RESULT_FD, data) :]
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
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
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

    def __init__(self, job: dict, code: object) -> None:
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
                fn = getattr(cls(), fn_name) if is_method else namespace[fn_name]
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
    builtins.exit = builtins.quit = sys.exit  # normally added by the site module, which -S skips
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


def init(job: dict) -> None:
    """PID 1 of the namespace: mount /proc, chroot, fork the worker, reap until the worker exits."""
    jail.die_with_parent(0)
    jail.enter_root(job["root"])
    pid = os.fork()
    if pid == 0:
        worker(job)
    os._exit(_wait_exit_code(pid))  # exiting kills every other process of the namespace


def main() -> None:
    """Outer process: read the job (as root, before the jail hides the host), unshare, fork init."""
    global jail
    job_path, host_pid = sys.argv[1], int(sys.argv[2])
    with open(job_path, "rb") as f:
        job = marshal.loads(f.read())
    jail = _load_jail(job["jail_code"])
    jail.die_with_parent(host_pid)
    os.dup2(1, RESULT_FD)
    jail.unshare_namespaces()
    jail.build_root(job["root"], job["expose_paths"], job["tmp_mb"], job["uid"])
    pid = os.fork()
    if pid == 0:
        try:
            init(job)
        except BaseException as exc:
            send(-2, "error", 0.0, b"", "init: " + _error_text(exc))
        os._exit(71)
    # The last frame: the host learns how the worker ended (e.g. 128 + SIGXCPU) without waiting on us.
    send(-2, "exit", 0.0, b"%d" % _wait_exit_code(pid))
    os._exit(0)


jail: object = None
if __name__ == "__main__":
    main()
