"""A hang watchdog: every phase of a step runs under a deadline; past it, stacks go to OUT/hang_<step>.txt.

A stalled collective, a wedged engine or a verifier that never answers leaves GPUs idle and no message.
The watchdog is a daemon thread: when a phase outlives its deadline it writes the phase, its progress
note and every thread's stack (faulthandler, which works while the main thread is stuck in C code) to
the hang file, logs one line, and then either ends the process (`watchdog.action=fail`; exit code 1, as
any failed run, since the stuck thread cannot be interrupted) or lets it go on (`warn`). Under torchrun
each rank has its own watchdog and file (`hang_<step>_rank<r>.txt`), so the message says which stalled.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from or1.config import WatchdogConfig

__all__ = ["PHASES", "Watchdog"]

log = logging.getLogger(__name__)

# Phase -> whether its deadline grows with the stage's response length (sampling and forward passes do).
PHASES = {"rollout": True, "scoring": True, "old_logprob": True, "update": True, "weight_sync": False,
          "checkpoint": False, "validation": True}


@dataclass
class _Phase:
    name: str
    step: int
    start: float
    deadline_s: float
    note: str = ""
    reported: bool = False


class Watchdog:
    """Deadlines for the phases of a run, checked by one daemon thread.

    Args:
        cfg: the `watchdog` config section (deadlines, action).
        out: the run's out_dir, where hang files go.
        rank, world_size: this process's place under torchrun (one process: 0, 1).

    `step` and `response_length` are set by the loop at each step; phases nest (validation's rollouts).
    """

    def __init__(self, cfg: WatchdogConfig, out: Path, rank: int = 0, world_size: int = 1) -> None:
        self.cfg, self.out, self.rank, self.world_size = cfg, out, rank, world_size
        self.step, self.response_length = 0, 0
        self.hangs: list[Path] = []  # hang files written (action=warn goes on after each)
        self._active: list[_Phase] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # a new phase: its deadline may be sooner than the thread's next check
        self._thread: threading.Thread | None = None
        if cfg.enabled:
            self._thread = threading.Thread(target=self._watch, name="or1-watchdog", daemon=True)
            self._thread.start()

    def deadline_s(self, name: str) -> float:
        """The deadline of phase `name` at the current response length."""
        base = getattr(self.cfg, f"{name}_s")
        scale = max(1.0, self.response_length / self.cfg.reference_length) if PHASES[name] else 1.0
        return base * scale

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Run the block as phase `name` of the current step, under its deadline."""
        p = _Phase(name, self.step, time.monotonic(), self.deadline_s(name))
        with self._lock:
            self._active.append(p)
        self._wake.set()
        try:
            yield
        finally:
            with self._lock:
                self._active.remove(p)

    def note(self, text: str) -> None:
        """Record the innermost phase's progress (written to the hang file if it stalls)."""
        with self._lock:
            if self._active:
                self._active[-1].note = text

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._poll_s())
            self._wake.clear()
            now = time.monotonic()
            with self._lock:
                late = [p for p in self._active if not p.reported and now - p.start > p.deadline_s]
                for p in late:
                    p.reported = True
            for p in late:
                self._report(p, now)

    def _poll_s(self) -> float:
        with self._lock:
            left = [p.start + p.deadline_s - time.monotonic() for p in self._active if not p.reported]
        return min(1.0, max(0.01, min(left, default=1.0)))

    def _report(self, p: _Phase, now: float) -> None:
        """Write the hang file, log one line, and end the process unless the action is `warn`."""
        suffix = f"_rank{self.rank}" if self.world_size > 1 else ""
        path = self.out / f"hang_{p.step}{suffix}.txt"
        self.out.mkdir(parents=True, exist_ok=True)
        with path.open("w") as f:
            f.write(f"phase {p.name} of step {p.step} on rank {self.rank} of {self.world_size} ran "
                    f"{now - p.start:.1f} s, past its deadline of {p.deadline_s:.1f} s (watchdog.{p.name}_s)\n")
            f.write(f"progress: {p.note or '(none noted)'}\n")
            f.write(f"phases open: {', '.join(q.name for q in self._active) or p.name}\n\n")
            f.flush()
            faulthandler.dump_traceback(file=f, all_threads=True)
        self.hangs.append(path)
        action = "ending the run" if self.cfg.action == "fail" else "going on (watchdog.action=warn)"
        log.error("hang: rank %d stalled in phase %s of step %d for %.0f s (deadline %.0f s); stacks in %s; %s",
                  self.rank, p.name, p.step, now - p.start, p.deadline_s, path, action)
        if self.cfg.action == "fail":
            for h in logging.getLogger().handlers:
                h.flush()
            os._exit(1)  # the stuck main thread cannot be interrupted from here

    def close(self) -> None:
        """Stop the watchdog thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
