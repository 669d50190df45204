"""`or1 eval` argument parsing (kept free of heavy imports: it is built with every `or1` invocation).

`or1 eval --model M --data F [--data G ...]` evaluates; `or1 eval compare A B` compares two output folders.
torch, transformers and the evaluation code are imported inside the handlers.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from or1.argtypes import positive_int

__all__ = ["add_parser", "engine_loader", "resolve_model"]

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


def engine_loader(model_dir: Path, dtype: str = "float32", device: str = "auto", max_batch: int = 256) -> Any:
    """A zero-argument function that loads the model and returns (HF rollout engine, tokenizer)."""

    def load() -> tuple[Any, Any]:
        from or1.policy import load_engine

        return load_engine(model_dir, dtype=dtype, device=device, max_batch=max_batch)

    return load


def _run(a: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not a.model or not a.data or not a.out:
        parser.error("--model, --data and --out are required (or use `or1 eval compare A B`)")
    from or1.eval.run import EvalSpec, run_eval
    from or1.rewards.registry import default_registry

    model_dir = resolve_model(a.model)
    spec = EvalSpec(a.model, str(model_dir.resolve()), tuple(a.data), a.out, a.k, a.temperature, a.top_p,
                    a.max_response_length, a.seed, a.chunk_problems, a.ex_name, a.max_problems)
    with default_registry(a.workers, a.math_timeout, a.code_time_limit) as registry:
        results = run_eval(spec, engine_loader(model_dir, a.dtype, a.device, a.max_batch), registry,
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
    e.add_argument("--k", type=positive_int, default=32, help="samples per problem (default 32; LiveCodeBench: 4)")
    e.add_argument("--temperature", type=float, default=0.6, help="sampling temperature (default 0.6; 32B: 1.0)")
    e.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default 1.0 = off)")
    e.add_argument("--max-response-length", type=positive_int, default=32768, help="tokens (default 32768)")
    e.add_argument("--seed", type=int, default=1234, help="base seed of every sampling call (default 1234)")
    e.add_argument("--chunk-problems", type=positive_int, default=8,
                   help="problems per engine call, fixed for a folder (default 8)")
    e.add_argument("--max-problems", type=positive_int, default=None, help="only the first N problems of each file")
    e.add_argument("--ex-name", default=None, help="experiment name in pass.csv (default: the --out folder name)")
    e.add_argument("--max-batch", type=positive_int, default=256, help="responses decoded together (default 256)")
    e.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="model dtype")
    e.add_argument("--device", default="auto", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    e.add_argument("--workers", type=positive_int, default=None, help="verifier processes (default: one per core)")
    e.add_argument("--math-timeout", type=float, default=5.0, help="seconds per math verification (default 5)")
    e.add_argument("--code-time-limit", type=float, default=6.0, help="seconds per code test (default 6)")
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
