"""`or1` command line: parses arguments and calls one library function per subcommand."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

__all__ = ["main"]

EPILOG = "Run `or1 COMMAND --help` for a command's options. DESIGN: https://arxiv.org/abs/2505.22312 (Skywork-OR1)."


def _train(a: argparse.Namespace) -> int:
    from or1.config_load import load_config
    from or1.trainer.loop import train

    overrides = list(a.overrides)
    if a.ray_address is not None:
        overrides += ["ray.enabled=true", f"ray.address={a.ray_address}"]
    main = os.environ.get("RANK", "0") == "0"  # under torchrun, rank 0 speaks for the run
    if not main:
        logging.getLogger().setLevel(logging.WARNING)
    ckpt = train(load_config(a.config, overrides), resume=a.resume, progress=not a.no_progress, stop_at=a.stop_at)
    if main:
        print(f"{'checkpoint' if a.stop_at else 'final checkpoint'}: {ckpt}")
    return 0


def _export(a: argparse.Namespace) -> int:
    from or1.trainer.export import export_hf

    print(f"exported to {export_hf(a.checkpoint, a.out)}")
    return 0


def _demo(a: argparse.Namespace) -> int:
    from or1.demo.run import run_demo

    report = run_demo(a.out, quick=a.quick, seed=a.seed, progress=not a.no_progress)
    print(f"report: {report}")
    return 0


def _verify(a: argparse.Namespace) -> int:
    from or1.config import VerifyConfig

    if a.family == "math":
        from or1.rewards.math.jsonl import verify_jsonl as verify_math

        cfg = VerifyConfig(workers=a.workers, **({"math_timeout_s": a.timeout} if a.timeout else {}))
        return verify_math(a.file, workers=cfg.workers, timeout_s=cfg.math_timeout_s)
    from or1.rewards.code.jsonl import verify_jsonl as verify_code

    cfg = VerifyConfig(workers=a.workers, **({"code_time_limit_s": a.timeout} if a.timeout else {}))
    return verify_code(a.file, workers=cfg.workers, time_limit_s=cfg.code_time_limit_s)


def _config(a: argparse.Namespace) -> int:
    from or1.config_load import dump_config, load_config

    cfg = load_config(a.config, a.overrides)
    print(dump_config(cfg) if a.action == "show" else f"{a.config}: valid")
    return 0


def _parser() -> argparse.ArgumentParser:
    from or1.config import VerifyConfig

    p = argparse.ArgumentParser(
        prog="or1", epilog=EPILOG,
        description="Skywork-OR1 reinforcement learning (GRPO + MAGIC) for math and code reasoning: "
                    "train, export, verify, and a CPU demo of the whole recipe.")
    p.add_argument("--debug", action="store_true", help="show full tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="run every stage of a training config",
                       description="Run the MAGIC recipe: all stages of CONFIG in one run, checkpointing to "
                                   "out_dir/checkpoints. Overrides look like algo.lr=2e-4 or stages.0.steps=10. "
                                   "Under torchrun (`torchrun --nproc_per_node N $(which or1) train CONFIG`) the "
                                   "policy is sharded with FSDP2 across the N processes (docs/distributed.md).")
    t.add_argument("config", help="YAML training config (`or1 demo` writes one to runs/demo/rl/config.yaml; "
                                  "`or1 config show CONFIG` lists every key with its default)")
    t.add_argument("overrides", nargs="*", help="key.sub=value overrides of config entries")
    t.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in out_dir")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--stop-at", type=int, default=None, metavar="STEP",
                   help="stop after this step, with a checkpoint there (continue later with --resume)")
    t.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="run reward (and rollout) workers on the Ray cluster at ADDR ('auto' = the one `ray start` "
                        "made on this machine); sets ray.enabled=true. Without it, ray.enabled in the config "
                        "starts a local cluster")
    t.set_defaults(fn=_train)

    e = sub.add_parser("export", help="export a checkpoint as a Hugging Face model directory",
                       description="Copy a checkpoint's model and tokenizer into OUT, loadable with "
                                   "transformers' AutoModelForCausalLM / AutoTokenizer.")
    e.add_argument("checkpoint", help="a checkpoint directory, or a run's out_dir (its newest checkpoint)")
    e.add_argument("out", help="new directory to write")
    e.set_defaults(fn=_export)

    d = sub.add_parser("demo", help="the whole recipe on a laptop CPU in minutes",
                       description="Tiny Qwen2 model + synthetic arithmetic task: SFT warm start, multi-stage "
                                   "GRPO with MAGIC, held-out Avg@K before and after, and a markdown + PNG report.")
    d.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    d.add_argument("--quick", action="store_true", help="a much shorter run, to check that everything works")
    d.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    d.add_argument("--no-progress", action="store_true", help="no progress bars")
    d.set_defaults(fn=_demo)

    v = sub.add_parser("verify", help="score answers or programs from a JSONL file",
                       description="Math: rows {prediction, gold, mode?}; code: rows {program|response, "
                                   "ground_truth, time_limit_s?}. Prints one JSON line per row, in order.")
    v.add_argument("family", choices=["math", "code"], help="which verifier")
    v.add_argument("file", help="JSONL file, or - for standard input")
    v.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    v.add_argument("--timeout", type=float, default=None,
                   help=f"seconds per verification (math, default {VerifyConfig.math_timeout_s:g}) or per test "
                        f"(code, default {VerifyConfig.code_time_limit_s:g})")
    v.set_defaults(fn=_verify)

    from or1.dashboard.cli import add_parser as add_report_parser
    from or1.data.cli import add_parser as add_data_parser
    from or1.eval.cli import add_parser as add_eval_parser
    from or1.plan import add_parser as add_plan_parser
    from or1.study.cli import add_parser as add_study_parser

    add_eval_parser(sub)
    add_data_parser(sub)
    add_study_parser(sub)
    add_report_parser(sub)
    add_plan_parser(sub)

    c = sub.add_parser("config", help="show or validate a training config",
                       description="`show` prints the resolved config with every default; `validate` checks it.")
    c.add_argument("action", choices=["show", "validate"])
    c.add_argument("config", help="YAML training config")
    c.add_argument("overrides", nargs="*", help="key.sub=value overrides")
    c.set_defaults(fn=_config)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `or1` console script; returns the exit code (0 ok, 1 failure, 2 bad usage)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "overrides") and all("=" in x and not x.startswith("-") for x in extra):
        args.overrides = [*args.overrides, *extra]  # overrides given after an option: `train c.yaml --resume a=1`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    fn: Callable[[argparse.Namespace], int] = args.fn
    try:
        return fn(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one readable line; the traceback with --debug
        if args.debug:
            raise
        print(f"or1 {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
