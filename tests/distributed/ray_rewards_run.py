"""Score a rollout batch through Ray reward actors and kill one of them mid-batch.

Run by tests/distributed/test_ray_rewards.py inside a loopback-only network namespace:

    python ray_rewards_run.py --out RESULT.pkl

Starts a local Ray cluster, scores a warm-up batch (so both actors have built their verifiers), then the
test batch: real math rows of the tiny task and real `code_tiny` rows, right and wrong. Chunk 0 holds a
correct but slow program (~2 s in the sandbox); as soon as that program runs in the code sandbox of
actor 0, the actor is SIGKILLed, so the kill lands mid-batch. The pickle holds the requests, the rewards,
the retry count and the evidence that the kill happened mid-chunk. Then, with `max_retries=0`, a second
kill shows what a death past the retry budget raises.
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import threading
import time
from pathlib import Path

from or1.distributed.ray_cluster import shutdown, start_or_join
from or1.distributed.ray_rewards import RayRewardRegistry
from or1.eval.code_tiny import PATH as CODE_TINY
from or1.eval.code_tiny_problems import CALL, STDIN
from or1.problems.schema import load_problems
from or1.rewards.code.sandbox import UID_BASE, UID_COUNT
from or1.rewards.registry import ScoreRequest
from or1.tiny.task import DATA_SOURCE, make_rows

REWARD_KW = {"workers": 1, "math_timeout_s": 5.0, "code_time_limit_s": 6.0}
SLOW_SUM = "import time\ntime.sleep(0.6)\na, b = map(int, input().split())\nprint(a + b)\n"  # 4 tests: ~2.4 s


def _code(program: str) -> str:
    return f"Let me write it.\n</think>\nHere is the solution.\n```python\n{program}```\n"


def reward_batch() -> list[ScoreRequest]:
    """23 requests; the first half (actor 0's chunk with 2 actors) ends with the slow program.

    Math: the tiny task's reference traces, about half with a teacher's slip (wrong), one unfinished.
    Code: reference programs (right), wrong programs, the slow correct one.
    """
    rows = make_rows(14, seed=3, split="train", slip_rate=0.5)
    math = [ScoreRequest(r["extra_info"]["reference"], "math", DATA_SOURCE, r["reward_model"]["ground_truth"])
            for r in rows]
    math[5] = ScoreRequest("12+30=42\n42-7=35", "math", DATA_SOURCE, rows[5]["reward_model"]["ground_truth"])
    code_rows = {p.extra_info["name"]: p for p in load_problems(CODE_TINY)}
    refs = {p.name: p.reference for p in (*STDIN, *CALL)}

    def code(name: str, program: str) -> ScoreRequest:
        p = code_rows[name]
        return ScoreRequest(_code(program), p.ability, p.data_source, p.ground_truth)

    names = sorted(refs)
    right = [code(n, refs[n]) for n in names[:5]]
    wrong = [code("sum_two", "a, b = map(int, input().split())\nprint(a - b)\n"),
             code("fizzbuzz", "print(1)\n"),
             code(names[5], "print(")]
    slow = code("sum_two", SLOW_SUM)
    first = [*math[:7], right[0], wrong[0], right[1], wrong[1], slow]  # actor 0: slow last, after the rest
    second = [*math[7:], right[2], wrong[2], right[3], right[4]]
    return first + second


def _sandboxed_descendant(pid: int) -> bool:
    """True when a process below `pid` runs as a sandbox uid, i.e. a program is running in its sandbox."""
    children: dict[int, list[int]] = {}
    uids: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        children.setdefault(int(fields["PPid"]), []).append(int(entry))
        uids[int(entry)] = int(fields["Uid"].split()[0])
    stack, seen = [pid], set()
    while stack:
        p = stack.pop()
        seen.add(p)
        stack.extend(c for c in children.get(p, []) if c not in seen)
    return any(UID_BASE <= uids.get(p, -1) < UID_BASE + UID_COUNT for p in seen - {pid})


def kill_mid_chunk(reg: RayRewardRegistry, batch: list[ScoreRequest], actor: int) -> dict:
    """Score `batch` while a watcher SIGKILLs actor `actor` once its slow program runs in the sandbox."""
    pid = reg.pids()[actor]
    out: dict = {"killed_pid": pid, "sandbox_running_at_kill": False, "kill_after_s": None}
    start = time.monotonic()

    def watch() -> None:
        while time.monotonic() - start < 60:
            if _sandboxed_descendant(pid):
                time.sleep(0.3)  # well inside the ~2.4 s program
                out["sandbox_running_at_kill"] = _sandboxed_descendant(pid)
                out["kill_after_s"] = time.monotonic() - start
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        out["results"] = reg.score(batch)
    except RuntimeError as e:
        out["error"] = str(e)
    watcher.join()
    out["seconds"] = time.monotonic() - start
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    t0 = time.monotonic()
    address = start_or_join(None, num_cpus=2)
    report: dict = {"address": address, "ray_start_s": time.monotonic() - t0}
    batch = reward_batch()
    warm = [batch[0], batch[7], batch[12], batch[19]]  # math + code in each actor's chunk
    with RayRewardRegistry(actors=2, max_retries=2, **REWARD_KW) as reg:
        t = time.monotonic()
        reg.score(warm)
        report["warmup_s"] = time.monotonic() - t
        t = time.monotonic()
        report["undisturbed"] = reg.score(batch)  # the same batch with no kill, for timing and comparison
        report["undisturbed_s"] = time.monotonic() - t
        report.update(kill_mid_chunk(reg, batch, actor=0))
        report["retries"] = reg.retries
        report["pids_after"] = reg.pids()
        reg.max_retries = 0  # past the budget: a second death of the same chunk's actor must raise
        report["exhausted"] = kill_mid_chunk(reg, [batch[11]], actor=0)
    report["requests"] = batch
    shutdown()
    args.out.write_bytes(pickle.dumps(report))


if __name__ == "__main__":
    main()
