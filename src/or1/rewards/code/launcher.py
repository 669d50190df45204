"""The sandbox launcher: a pre-started root process that forks one fresh, isolated process tree per run.

Started once per `Sandbox` by the host (launcher_host.py) as `python -I -S -B launcher.py SOCK_FD`,
with its settings (jail root, exposed paths) as marshal bytes on stdin. It does the work every run would
otherwise repeat, once: interpreter start, imports (jail.py, harness.py and the prelude modules a
program gets for free), and the read-only jail tree in a mount namespace of its own. Then, for each
message on SOCK_FD (a SEQPACKET socket only the host holds), it forks `harness.init` as PID 1 of a
fresh PID namespace, with the three descriptors the message carries. What each run gets for itself is
unchanged: new processes, new mount, network, PID, IPC and UTS namespaces, a private /tmp, its own uid and
rlimits (docs/sandbox.md).

It never reads a job (the run's init does, from the job memfd), so no program or input of one run is in
the memory the next run is forked from. It never runs candidate code and never waits for a run: SIGCHLD
is ignored, so the kernel reaps each run as it ends. It exits when the host closes the socket.
"""

import gc
import marshal
import os
import signal
import socket
import sys

# -I keeps the script's directory off sys.path; add it just long enough to import the two siblings.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
import jail

del sys.path[0]

N_FDS = 3  # result pipe, lifeline, job memfd (harness.init)


def prelude_table(star_modules: list[str], modules: list[str]) -> dict[str, tuple[str, str | None]]:
    """Import the prelude modules (so runs inherit them) and map each prelude name to (module, attribute
    or None for the module itself), as `from X import *` in order would bind them."""
    table: dict[str, tuple[str, str | None]] = {}
    for name in star_modules:
        module = __import__(name)
        public = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        table.update({attr: (name, attr) for attr in public})
    for name in modules:
        __import__(name)
        table[name] = (name, None)
    return table


def start(settings: dict) -> dict:
    """One-time setup; the settings every run's job is completed with."""
    jail.private_mounts()
    jail.build_root(settings["root"], settings["expose_paths"])
    table = prelude_table(settings["prelude_star"], settings["prelude_modules"])
    import _json  # noqa: F401  (to_json's encoder, imported here rather than in every run)

    return {"root": settings["root"], "site_paths": settings["site_paths"], "prelude": table}


def serve(sock: socket.socket, run_settings: dict) -> None:
    """Fork one run per message until the host closes the socket."""
    pid_ns = jail.open_pid_namespace()
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 16, N_FDS)
        except InterruptedError:
            continue
        if not msg:
            return
        try:
            if len(fds) == N_FDS:
                _fork_run(fds, run_settings, pid_ns)
        finally:
            for fd in fds:
                os.close(fd)


def _fork_run(fds: list[int], run_settings: dict, pid_ns: int) -> None:
    """Fork the run's init as PID 1 of a fresh PID namespace (or report why not on its result pipe)."""
    try:
        jail.unshare_pid()
        pid = os.fork()
    except OSError as exc:
        harness.send(-2, "error", 0.0, b"", f"launcher: {exc}", fd=fds[0])
        pid = -1
    if pid == 0:
        harness.init(fds, run_settings)  # never returns
    # Raises only if the kernel refuses to take us back to our own PID namespace; the launcher then
    # exits and the host starts a new one.
    jail.reset_pid_namespace(pid_ns)


def main() -> None:
    """Set up, say "ready" (or the error) on stdout, then serve."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    try:
        run_settings = start(marshal.loads(sys.stdin.buffer.read()))
    except BaseException as exc:
        os.write(1, f"error {type(exc).__name__}: {exc}\n".encode())
        raise SystemExit(1) from None
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # Everything allocated so far is shared with every run; keep the collector from touching it there
    # (each touched page would be copied into the run).
    gc.freeze()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.write(1, b"ready\n")
    os.dup2(null, 1)
    os.close(null)
    serve(sock, run_settings)


if __name__ == "__main__":
    main()
