"""The host's reader of a sandbox run's result frames (the protocol: harness.py).

A frame is a header line `INDEX STATUS SECONDS N M` followed by N payload bytes and M bytes of error text.
The reader enforces a deadline on every read and a size cap on every frame, and reads each payload straight
into a buffer of its exact size: a frame of up to the output cap costs the host that much memory, once.
"""

from __future__ import annotations

import os
import select
import time
from dataclasses import dataclass

__all__ = ["Frame", "FrameReader"]

_HEADER_MAX = 256


@dataclass(frozen=True)
class Frame:
    """One test's report from inside the sandbox: status there, time, and its output bytes (a bytearray
    read in place: a payload of up to the output cap is never copied on the host)."""

    index: int
    status: str
    seconds: float
    payload: bytes | bytearray
    error: str = ""


class FrameReader:
    """Incremental parser of frames (`INDEX STATUS SECONDS N M\\n` + N + M bytes) with deadlines."""

    def __init__(self, fd: int, max_payload: int) -> None:
        self.fd, self.max_payload, self.buf = fd, max_payload, bytearray()

    def _wait(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            raise TimeoutError

    def _fill(self, deadline: float) -> bool:
        self._wait(deadline)
        chunk = os.read(self.fd, 1 << 16)
        self.buf += chunk
        return bool(chunk)

    def _take(self, size: int, deadline: float) -> bytearray | None:
        """The next `size` bytes, read straight into a buffer of that size (None at end of file)."""
        out = bytearray(size)
        have = min(size, len(self.buf))
        out[:have] = self.buf[:have]
        del self.buf[:have]
        with memoryview(out) as view:
            while have < size:
                self._wait(deadline)
                got = os.readv(self.fd, [view[have:]])
                if not got:
                    return None
                have += got
        return out

    def drain(self, deadline: float) -> None:
        """Discard everything until end-of-file (or the deadline)."""
        self.buf.clear()
        try:
            while self._fill(deadline):
                self.buf.clear()
        except TimeoutError:
            pass

    def next(self, deadline: float) -> Frame | None:
        """The next frame; None at end-of-file. Raises TimeoutError, or ValueError on a malformed frame."""
        while (nl := self.buf.find(b"\n")) < 0:
            if len(self.buf) > _HEADER_MAX:
                raise ValueError("frame header too long")
            if not self._fill(deadline):
                return None
        try:
            index_s, status_b, seconds_s, n_s, m_s = bytes(self.buf[:nl]).split(b" ")
            index, seconds, n, m = int(index_s), float(seconds_s), int(n_s), int(m_s)
            status = status_b.decode("ascii")
        except ValueError as exc:
            raise ValueError(f"bad frame header: {exc}") from None
        if not (0 <= n <= self.max_payload and 0 <= m <= 1 << 16):
            raise ValueError(f"frame of {n}+{m} bytes")
        del self.buf[: nl + 1]
        payload = self._take(n, deadline)
        error = self._take(m, deadline)
        if payload is None or error is None:
            return None
        return Frame(index, status, seconds, payload, error.decode("utf-8", "replace"))
