"""Study runs in a worker process: `python -m or1.study.worker RUN_DIR [RUN_DIR ...]`, one after another.

Each run trains (resuming from RUN_DIR's newest checkpoint when there is one), then evaluates the final
policy on the held-out test problems and writes RUN_DIR/final_eval.json, the marker of a finished run.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["final_eval", "main"]


def final_eval(run: dict[str, Any], model_dir: Path) -> dict[str, Any]:
    """Held-out Avg@K of the model in `model_dir`: per temperature, the correct count of each problem."""
    from or1.config import TrainConfig
    from or1.config_load import build
    from or1.policy import build_policy, hf_engine
    from or1.problems.schema import load_problems
    from or1.rollout.types import SamplingParams
    from or1.sampling import sample_and_score
    from or1.trainer.setup import build_scorer

    cfg = build(TrainConfig, run["config"])
    e = run["eval"]
    model, tok = build_policy(cfg.model, cfg.seed, path=model_dir)
    engine = hf_engine(model, tok, max_batch=256)
    problems = load_problems(run["test_file"])
    out: dict[str, Any] = {"k": e["k"], "problems": len(problems), "max_tokens": e["max_tokens"], "by_temperature": {}}
    with build_scorer(cfg.reward) as scorer:
        for j, temp in enumerate(e["temperatures"]):
            params = SamplingParams(n=e["k"], temperature=temp, top_p=1.0, max_tokens=e["max_tokens"])
            groups = sample_and_score(engine, tok, problems, scorer, params, e["seed"] + j)
            correct = [sum(s.result.correct for s in g) for g in groups]
            out["by_temperature"][f"{temp:g}"] = {
                "correct": correct, "avg": sum(correct) / (e["k"] * len(problems)),
                "mean_length": sum(s.length for g in groups for s in g) / (e["k"] * len(problems)),
                "truncated_frac": sum(s.truncated for g in groups for s in g) / (e["k"] * len(problems))}
    return out


def _run_one(run_dir: Path) -> None:
    from or1.atomic import write_text_atomic
    from or1.checkpoints import resolve_checkpoint
    from or1.config import TrainConfig
    from or1.config_load import build
    from or1.trainer.loop import train

    run = json.loads((run_dir / "run.json").read_text())
    cfg = build(TrainConfig, run["config"])
    # A run stopped before its first checkpoint has nothing to resume from: it starts over (the
    # trainer refuses --resume on an out_dir with logs but no checkpoint, to protect long runs).
    resume = any(Path(cfg.out_dir, "checkpoints").glob("step_*"))
    t0 = time.time()
    ckpt = train(cfg, resume=resume, progress=False)
    t1 = time.time()
    result = final_eval(run, resolve_checkpoint(ckpt) / "model")
    result["seconds"] = {"train": t1 - t0, "eval": time.time() - t1}
    write_text_atomic(run_dir / "final_eval.json", json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    """Train and evaluate each run folder in `argv`, in order; returns 1 if any run failed, else 0.

    A failed run's traceback goes to its log.txt and the next run still starts.
    """
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rc = 0
    for arg in argv if argv is not None else sys.argv[1:]:
        run_dir = Path(arg)
        handler = logging.FileHandler(run_dir / "log.txt")
        handler.setFormatter(fmt)
        logging.getLogger().addHandler(handler)
        try:
            _run_one(run_dir)
            logging.info("run %s finished", run_dir)
        except Exception:
            logging.exception("run %s failed", run_dir)
            rc = 1
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
