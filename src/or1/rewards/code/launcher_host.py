"""Host side of the sandbox launcher: start it, hand it runs, restart it if it died (docs/sandbox.md).

The launcher (launcher.py) is one long-lived root process per `Sandbox`. A run is handed over as three
file descriptors in one SEQPACKET message; the launcher forks the run's processes and forgets them. This
client starts the launcher on first use, restarts it if a send finds it gone, and stops it when the
`Sandbox` is garbage-collected or closed (closing the socket is enough: the launcher exits on end of file).
"""

from __future__ import annotations

import marshal
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["Launcher", "LauncherError"]

LAUNCHER = str(Path(__file__).with_name("launcher.py"))
ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class LauncherError(RuntimeError):
    """The launcher could not be started (its own error message says why)."""


class Launcher:
    """A started-on-demand launcher process; `submit` is thread-safe.

    Args:
        settings: marshal-able launcher settings (jail root, exposed and site paths, prelude modules).
        start_timeout_s: how long the launcher may take to import and build the jail tree.
    """

    def __init__(self, settings: dict, start_timeout_s: float = 30.0) -> None:
        self.settings, self.start_timeout_s = settings, start_timeout_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None

    @property
    def pid(self) -> int | None:
        """The running launcher's pid (None before the first run or after `close`)."""
        return None if self._proc is None else self._proc.pid

    def submit(self, fds: list[int]) -> None:
        """Hand one run (result pipe write end, lifeline read end, job memfd) to the launcher.

        Raises:
            LauncherError: the launcher cannot be (re)started.
            OSError: the descriptors cannot be sent.
        """
        with self._lock:
            for attempt in range(2):
                if self._sock is None:
                    self._start()
                try:
                    socket.send_fds(self._sock, [b"run"], fds)  # type: ignore[arg-type]
                    return
                except ConnectionError:
                    self._stop()  # gone (crashed or killed): start a new one and retry once
                    if attempt:
                        raise

    def close(self) -> None:
        """Stop the launcher; runs in flight die with it (parent-death signal of their init)."""
        with self._lock:
            self._stop()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", LAUNCHER, str(theirs.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=ENV,
                cwd="/",
                pass_fds=[theirs.fileno()],
            )
        try:
            proc.stdin.write(marshal.dumps(self.settings))  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
            line = _read_line(proc.stdout.fileno(), self.start_timeout_s)  # type: ignore[union-attr]
        except (OSError, TimeoutError) as exc:
            line = f"error {type(exc).__name__}: {exc}"
        proc.stdout.close()  # type: ignore[union-attr]
        if line != "ready":
            ours.close()
            proc.kill()
            proc.wait()
            raise LauncherError(f"sandbox launcher failed to start: {line or 'no answer'}")
        self._proc, self._sock = proc, ours

    def _stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
        self._proc = self._sock = None


def _read_line(fd: int, timeout_s: float) -> str:
    """The first line the launcher writes (it writes one and then nothing until it exits)."""
    data = b""
    while b"\n" not in data:
        if not select.select([fd], [], [], timeout_s)[0]:
            raise TimeoutError(f"no answer in {timeout_s} s")
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode(errors="replace")
