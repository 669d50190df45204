"""Code reward: run the response's program on the problem's tests in a sandbox (DESIGN.md §2).

`extract_program` takes the last ```python block of the answer section; `CodeVerifier` runs a batch of
programs concurrently, each in its own sandbox run (sandbox.py, docs/sandbox.md), and compares outputs on
the host (compare.py). Reward 1 only if every test passes.

Departures from the original recipe, which ran LiveCodeBench's harness in helper processes without
isolation: a response with no `</think>` is unfinished (reward 0, the original scored the whole text),
programs are isolated (no network, no host files, unprivileged, rlimits), call-based results are compared
as JSON outside the program's process, and a crashed or killed run zeroes only its own reward.
"""

from __future__ import annotations

import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from or1.config import VerifyConfig
from or1.rewards.code.compare import TestSuite, call_matches, parse_ground_truth, stdout_matches
from or1.rewards.code.sandbox import Frame, RunReport, Sandbox, SandboxLimits
from or1.rewards.extract import answer_section
from or1.rewards.types import RewardResult

__all__ = ["CodeVerifier", "extract", "extract_program", "score", "verify"]

log = logging.getLogger(__name__)
Mode = Literal["response", "program"]
_FENCE = re.compile(r"```(?:python|py|python3)[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
_SIGXCPU, _SIGXFSZ = 24, 25


def extract_program(response: str, mode: Mode = "response") -> tuple[str | None, str]:
    """The program to run, and why there is none.

    Args:
        response: the model's full response, or (mode "program") the program itself.
        mode: "response" takes the last ```python block after the last `</think>`.

    Returns:
        (program, status): status "ok", "unfinished" (no `</think>`) or "no_answer" (no python block).
    """
    if mode == "program":
        return (response, "ok") if response.strip() else (None, "no_answer")
    answer = answer_section(response)
    if answer is None:
        return None, "unfinished"
    blocks = _FENCE.findall(answer)
    if not blocks or not blocks[-1].strip():
        return None, "no_answer"
    return blocks[-1], "ok"


def extract(text: str) -> str | None:
    """The program of a response (the family-wide `extract` name); None when there is none."""
    return extract_program(text)[0]


def _exit_status(report: RunReport) -> str:
    """Status of a run that ended before reporting every test."""
    if report.ended == "timeout":
        return "timeout"
    if report.ended == "error" or report.exit_code is None:
        return "error"
    if report.exit_code == 128 + _SIGXCPU or report.exit_code == 128 + 9:
        return "timeout"  # CPU rlimit: SIGXCPU at the soft limit (SIGKILL at the hard one)
    if report.exit_code == 128 + _SIGXFSZ:
        return "output_limit"
    return "runtime_error"


class CodeVerifier:
    """Scores batches of code responses; runs up to `workers` sandboxes at once.

    Args:
        workers: concurrent sandbox runs (default: CPU count). Each is one process doing one program.
        time_limit_s: wall-clock limit per test.
        memory_mb: address-space limit per process.
        run_memory_mb: memory limit of a whole run (all its processes, memfds and tmpfs), where the
            machine offers cgroups (`sandbox.memory_bound` says; docs/sandbox.md).
        all_tests: run every test even after a failure (for evaluation detail); default stops at the
            first failure, which gives the same reward faster.

    Raises:
        PermissionError: the sandbox cannot isolate programs here (it needs root; docs/sandbox.md).
    """

    def __init__(
        self,
        workers: int | None = None,
        time_limit_s: float = VerifyConfig.code_time_limit_s,
        memory_mb: int = 1024,
        all_tests: bool = False,
        run_memory_mb: int = 2048,
    ) -> None:
        self.limits = SandboxLimits(time_limit_s=time_limit_s, memory_mb=memory_mb, run_memory_mb=run_memory_mb)
        self.all_tests = all_tests
        self.sandbox = Sandbox()
        self.workers = workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="or1-code")

    def __enter__(self) -> CodeVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wait for running sandboxes (each ends within its limits), stop the threads and the launcher."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sandbox.close()

    def score_batch(
        self,
        responses: list[str],
        ground_truths: list[str | dict],
        mode: str = "response",
        time_limits_s: list[float | None] | None = None,
    ) -> list[RewardResult]:
        """Score each response against its ground truth; results in input order.

        Args:
            responses: model responses, or programs when mode is "program".
            ground_truths: test dicts or their JSON text (compare.py lists the accepted forms).
            mode: "response" or "program" (see `extract_program`).
            time_limits_s: optional per-item wall-clock limit per test, overriding the verifier's.

        Returns:
            One `RewardResult` per response; `detail` has tests_passed, tests_total and, on failure,
            failed_test and error. Never raises for what a program does.
        """
        if len(responses) != len(ground_truths):
            raise ValueError(f"{len(responses)} responses but {len(ground_truths)} ground truths")
        limits = time_limits_s or [None] * len(responses)
        jobs = [
            self._pool.submit(self._score_safe, r, g, mode, t)
            for r, g, t in zip(responses, ground_truths, limits, strict=True)
        ]
        return [job.result() for job in jobs]

    def _score_safe(
        self, response: str, ground_truth: str | dict, mode: str, time_limit_s: float | None
    ) -> RewardResult:
        start = time.perf_counter()
        try:
            return self._score_one(response, ground_truth, mode, time_limit_s, start)
        except Exception as exc:  # a bug or a host problem costs this one result, never the batch
            log.exception("code verification failed")
            return RewardResult(0.0, "error", time.perf_counter() - start, None, {"error": repr(exc)})

    def _score_one(
        self, response: str, ground_truth: str | dict, mode: str, time_limit_s: float | None, start: float
    ) -> RewardResult:
        program, status = extract_program(response, mode)  # type: ignore[arg-type]
        if program is None:
            return RewardResult(0.0, status, time.perf_counter() - start, None, {})
        try:
            suite = parse_ground_truth(ground_truth)
        except (ValueError, TypeError) as exc:
            return RewardResult(
                0.0, "error", time.perf_counter() - start, program, {"error": f"ground truth: {exc}"}
            )
        limits = self.limits
        if time_limit_s is not None:
            limits = SandboxLimits(**{**limits.__dict__, "time_limit_s": float(time_limit_s)})
        verdicts: list[tuple[int, str, str]] = []  # (test, status, error) of each failed test

        def judge(frame: Frame) -> bool:
            status = frame.status
            if status == "unserialisable" or (status == "ok" and not _matches(suite, frame)):
                status = "wrong_answer"
            if status != "ok":
                verdicts.append((frame.index, status, frame.error))
            return self.all_tests or status == "ok"

        report = self.sandbox.run(program, suite.inputs, suite.fn_name, limits, judge)
        passed = report.tests_reported - len(verdicts)
        detail: dict[str, Any] = {"tests_passed": passed, "tests_total": len(suite.inputs)}
        if report.oom_killed:
            # Over the run's memory limit, whatever the frames said: the kernel may have killed only one of
            # its processes (cgroup v1 has no group kill), and the rest may still have printed an answer.
            verdicts.insert(0, (report.tests_reported, "memory", "killed at the run's memory limit"))
        elif report.ended not in ("done", "stopped"):
            verdicts.append((report.tests_reported, _exit_status(report), report.error))
        if verdicts:
            failed, status, error = verdicts[0]
            detail.update(failed_test=failed, error=error[-500:])
            return RewardResult(0.0, status, time.perf_counter() - start, program, detail)
        return RewardResult(1.0, "ok", time.perf_counter() - start, program, detail)


def _matches(suite: TestSuite, frame: Frame) -> bool:
    want = suite.expected[frame.index]
    if suite.fn_name is None:
        return stdout_matches(frame.payload, want)  # as bytes: a padded output is never copied
    return call_matches(frame.payload, want)


def score(
    response: str, ground_truth: str | dict, mode: str = "response",
    time_limit_s: float = VerifyConfig.code_time_limit_s,
) -> RewardResult:
    """Score one response (starts and stops a one-worker verifier; use `CodeVerifier` for batches)."""
    with CodeVerifier(workers=1, time_limit_s=time_limit_s) as verifier:
        return verifier.score_batch([response], [ground_truth], mode)[0]


def verify(*, gold: str | dict, pred: str) -> bool:
    """True if program `pred` passes every test of `gold` (keyword-only, so the two cannot be swapped)."""
    return score(pred, gold, mode="program").correct
