"""`or1 eval` argument parsing (kept free of heavy imports: it is built with every `or1` invocation).

`or1 eval --model M --data F [--data G ...]` evaluates; `or1 eval compare A B` compares two output folders.
torch, transformers and the evaluation code are imported inside the handlers.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from or1.config import EvalConfig, WeightDtype
from or1.config_flags import add_flags

__all__ = ["FLAGS", "add_parser", "engine_loader", "resolve_model"]

# `or1 eval`'s flag of each EvalConfig key (defaults and help come from the field).
FLAGS = {"k": "--k", "temperature": "--temperature", "top_p": "--top-p",
         "max_response_length": "--max-response-length", "seed": "--seed", "chunk_problems": "--chunk-problems",
         "max_problems": "--max-problems", "ex_name": "--ex-name", "max_batch": "--max-batch", "dtype": "--dtype",
         "device": "--device", "verify.workers": "--workers", "verify.math_timeout_s": "--math-timeout",
         "verify.code_time_limit_s": "--code-time-limit"}

_DESCRIPTION = (
    "Sample K responses per problem, score them with the math/code verifiers and write OUT/samples/*.jsonl "
    "(every sample), OUT/pass.csv (the original's columns + unbiased pass@k and a 95% bootstrap CI of Avg@K), "
    "OUT/summary.md, OUT/metrics.json and two PNG plots. Rerunning the same command continues an interrupted "
    "evaluation; the same seed gives the same samples. `or1 eval compare A B` compares two output folders.")


def resolve_model(path: str) -> Path:
    """The HF model directory of `path`: itself, or the `model/` folder of an or1 checkpoint or run directory.

    Raises:
        FileNotFoundError: nothing at `path`; ValueError: neither a model nor a checkpoint/run directory.
    """
    from or1.checkpoints import resolve_model_dir

    return resolve_model_dir(path, "--model")


def engine_loader(model_dir: Path, dtype: WeightDtype, device: str, max_batch: int) -> Any:
    """A zero-argument function that loads the model and returns (HF rollout engine, tokenizer)."""

    def load() -> tuple[Any, Any]:
        from or1.policy import load_engine

        return load_engine(model_dir, dtype=dtype, device=device, max_batch=max_batch)

    return load


def _run(a: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not a.model or not a.data or not a.out:
        parser.error("--model, --data and --out are required (or use `or1 eval compare A B`)")
    from or1.config import EvalConfig
    from or1.config_flags import from_flags
    from or1.eval.run import EvalSpec, run_eval
    from or1.rewards.registry import default_registry

    cfg = from_flags(parser, EvalConfig, a, FLAGS)
    model_dir = resolve_model(a.model)
    spec = EvalSpec(a.model, str(model_dir.resolve()), tuple(a.data), a.out, cfg)
    v = cfg.verify
    with default_registry(v.workers, v.math_timeout_s, v.code_time_limit_s) as registry:
        results = run_eval(spec, engine_loader(model_dir, cfg.dtype, cfg.device, cfg.max_batch), registry,
                           progress=not a.no_progress)
    for r in results:
        print(f"{r.name}: Avg@{r.k} {100 * r.avg:.1f}% [95% CI {100 * r.ci_low:.1f}, {100 * r.ci_high:.1f}], "
              f"pass@{r.k} {100 * r.pass_at_k[r.k]:.1f}%, {r.problems} problems")
    print(f"outputs: {a.out}/summary.md, pass.csv, samples/")
    return 0


def _compare(a: argparse.Namespace) -> int:
    from or1.eval.compare import compare_dirs, comparison_markdown

    text = comparison_markdown(compare_dirs(a.dir_a, a.dir_b, seed=a.seed), a.dir_a, a.dir_b)
    if a.out:
        Path(a.out).write_text(text)
    print(text, end="")
    return 0


def _add_options(e: argparse.ArgumentParser) -> None:
    e.add_argument("--model", help="HF model directory, or an or1 checkpoint / run directory (its newest checkpoint)")
    e.add_argument("--data", action="append", metavar="FILE",
                   help="parquet file in the release schema, or a packaged set by name: aime24, aime25 (the "
                        "release's AIME files), code_tiny; repeatable")
    e.add_argument("--out", help="output folder; rerun with the same folder to continue an interrupted evaluation")
    add_flags(e, EvalConfig, FLAGS)
    e.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `or1 eval` (evaluate) with its `compare` action."""
    e = sub.add_parser("eval", help="Avg@K, pass@k and confidence intervals of a model on parquet data sets",
                       description=_DESCRIPTION)
    _add_options(e)
    e.set_defaults(fn=lambda a: _run(a, e))
    actions = e.add_subparsers(dest="eval_action", metavar="compare")
    c = actions.add_parser("compare", help="difference of Avg@K between two `or1 eval` output folders",
                           description="Per data set: Avg@K of A and B and B - A with a paired bootstrap 95% CI "
                                       "(the same problems resampled for both), then a per-problem table.")
    c.add_argument("dir_a", help="baseline output folder (A)")
    c.add_argument("dir_b", help="output folder to compare with it (B)")
    c.add_argument("--out", default=None, help="also write the markdown to this file")
    c.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    c.set_defaults(fn=_compare)
