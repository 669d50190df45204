"""One-GPU check of a paper config: a random Qwen2 of Qwen2.5-1.5B's shape trains a few `or1 train` steps.

Nothing is downloaded and nothing but PyTorch, transformers and or1 is needed (no vLLM, no Ray). The check

1. builds a byte-level BPE stand-in tokenizer (trained on a few KB of text, the DeepSeek-R1-Distill chat
   template, `<think>`/`</think>` as ordinary added tokens) and a random Qwen2 of the 1.5B shape
   (hidden 1536, 28 layers, 12 heads, 2 KV heads, intermediate 8960, vocab 151936, tied embeddings);
2. writes a few math rows in the release schema;
3. runs `configs/or1_7b.yaml` with the CPU smoke profile (`configs/cpu_smoke.args`) and this check's
   overrides: the HF rollout engine, `max_response` tokens per response in both stages (a random model
   runs to the limit), `distributed.mixed_precision: true` on `model.dtype: float32` (bf16 compute on fp32
   master weights, in one process), activation checkpointing as the paper config has it, validation and
   the offline filter off (they decode without being timed);
4. prints trainer tokens/s, rollout tokens/s, peak GPU memory (`torch.cuda.max_memory_allocated`) and MFU
   against the bf16 matmul rate it measures itself (a timed 8192³ bf16 matmul) and against the GPU's
   datasheet peak where `or1.throughput.GPUS` knows it.

MFU counts model FLOPs: training 6·N per token forwarded (prompt + response) plus 12·L·d·T of attention,
activation checkpointing's recompute not counted; rollout 2·N per generated token (decode is memory-bound,
so a low rollout MFU is expected). N excludes the input embedding (tied: counted once, as the LM head).

    python benchmarks/gpu_check.py                       # on one GPU, about 5 minutes; exit 2 without CUDA
    python benchmarks/gpu_check.py --cpu-tiny            # the same code path on CPU, tiny shape, < 1 minute

Exit 0: the steps ran and the figures are printed (and, with --out, written to OUT/gpu_check.json); 1: the run failed
(the trainer's one-line error is printed); 2: no CUDA device (without --cpu-tiny) or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, PreTrainedModel, PreTrainedTokenizerFast, Qwen2Config

from or1.config import TrainConfig
from or1.config_load import load_config
from or1.data.synthetic import synthetic_rows
from or1.problems.schema import write_rows

ROOT = Path(__file__).resolve().parents[1]
PAPER_CONFIG = ROOT / "configs" / "or1_7b.yaml"
SMOKE_PROFILE = ROOT / "configs" / "cpu_smoke.args"

# Qwen2.5-1.5B's config.json (DeepSeek-R1-Distill-Qwen-1.5B has the same shape).
SHAPE_1_5B = {"hidden_size": 1536, "num_hidden_layers": 28, "num_attention_heads": 12, "num_key_value_heads": 2,
              "intermediate_size": 8960, "vocab_size": 151936, "tie_word_embeddings": True,
              "max_position_embeddings": 32768, "rope_theta": 1e6, "rms_norm_eps": 1e-6}
# The same code path at a size a CPU trains in seconds; the vocabulary stays padded far past the
# tokenizer, as a released model's is.
SHAPE_TINY = {**SHAPE_1_5B, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 4096, "max_position_embeddings": 4096}

BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
# DeepSeek-R1-Distill's chat template for single-turn prompts; the generation prompt opens `<think>\n`.
R1_DISTILL_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}"
    "{% elif m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}"
    "{% elif m['role'] == 'assistant' %}{{ '<｜Assistant｜>' + m['content'] + '<｜end▁of▁sentence｜>' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}"
)
_SUFFIX = " Let's think step by step and output the final answer within \\boxed{}."
_TRACE = ("First, write down what is given. Then the quantity we want is a product, so compute each factor "
          "and multiply. Checking the arithmetic once more gives the same value.\n</think>\n\nThe answer is "
          "\\boxed{42}.")

log = logging.getLogger("gpu_check")


def standin_tokenizer(vocab_size: int = 1024) -> PreTrainedTokenizerFast:
    """A byte-level BPE with DeepSeek-R1-Distill's markers and chat template, trained on a few KB of text.

    `<think>`/`</think>` are ordinary added tokens (`special=False`, as in the released tokenizers), so
    decoding with `skip_special_tokens=True` keeps them and the math verifier finds the answer section.
    """
    text = [r["problem"] + _SUFFIX + "\n" + _TRACE for r in synthetic_rows(40, seed=1)]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[BOS, EOS, "<｜User｜>", "<｜Assistant｜>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    core.train_from_iterator(text, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=EOS,
                                  padding_side="left", clean_up_tokenization_spaces=False)
    tok.add_tokens(["<think>", "</think>"], special_tokens=False)
    tok.chat_template = R1_DISTILL_TEMPLATE
    return tok


def save_standin(out: Path, tok: PreTrainedTokenizerFast, shape: dict[str, Any], device: str = "cpu") -> Path:
    """A random Qwen2 of `shape` for `tok`, and `tok`, saved with `save_pretrained` into `out` (fp32)."""
    if shape["vocab_size"] < len(tok):
        raise ValueError(f"model vocab_size={shape['vocab_size']} is smaller than the tokenizer ({len(tok)} tokens)")
    cfg = Qwen2Config(**shape, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    with torch.device(device):  # initialising 1.5B weights on the GPU takes seconds, on a CPU a minute
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def math_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` synthetic word problems as release-schema math rows (the release's prompt suffix, string golds)."""
    return [{"data_source": "train-math-synthetic", "prompt": [{"role": "user", "content": r["problem"] + _SUFFIX}],
             "ability": "math", "reward_model": {"style": "rule", "ground_truth": r["answer"]},
             "extra_info": {"index": i, "split": "train"}}
            for i, r in enumerate(synthetic_rows(n, seed=seed))]


def smoke_profile(path: Path = SMOKE_PROFILE) -> list[str]:
    """The `key=value` lines of a profile file (`configs/cpu_smoke.args`), comments and blank lines left out."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def check_overrides(a: argparse.Namespace) -> list[str]:
    """This check's overrides on top of the smoke profile: response length, batch, precision, deadlines."""
    out = [f"out_dir={a.out / 'run'}", f"model.path={a.out / 'model'}", f"data.train_files=[{a.out / 'math.parquet'}]",
           "validation.every=0", "model.dtype=float32", "distributed.mixed_precision=true",
           f"algo.micro_batch_tokens={a.micro_batch_tokens}", "checkpoint_every=1000", "keep_checkpoints=1",
           # The offline filter before stage 2 would decode every row once more to the full length (another
           # ~1.5 minutes at 4K on the HF engine) and is timed by nothing this check prints.
           "filter.offline=false"]
    for s in (0, 1):
        out += [f"stages.{s}.max_response_length={a.max_response}", f"stages.{s}.batch_size={a.prompts}",
                f"stages.{s}.mini_batch_size={a.prompts}", f"stages.{s}.group_size={a.group}"]
    # A step that does not finish in time fails the run with every thread's stack (OUT/run/hang_*.txt):
    # a model left on the CPU would otherwise decode 1.5B-parameter steps for hours.
    out += [f"watchdog.rollout_s={a.deadline_s}", f"watchdog.update_s={a.deadline_s}"]
    return out


def matmul_flops(device: torch.device, n: int, iters: int) -> float:
    """Measured bf16 matmul rate (FLOP/s): `iters` products of two n×n matrices, 2·n³ FLOPs each."""
    x = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    y = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):  # warm-up: kernel selection, clocks
        x @ y
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        x @ y
    _sync(device)
    return 2 * n**3 * iters / (time.perf_counter() - t0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def model_flops(shape: dict[str, Any]) -> tuple[float, int, int]:
    """(N, layers, hidden): N = matmul parameters per token (decoder layers + LM head; no input embedding)."""
    d, f, L = shape["hidden_size"], shape["intermediate_size"], shape["num_hidden_layers"]
    kv = d // shape["num_attention_heads"] * shape["num_key_value_heads"]
    per_layer = d * d * 2 + d * kv * 2 + 3 * d * f  # q, o; k, v; gate, up, down
    return float(L * per_layer + d * shape["vocab_size"]), L, d


def figures(rows: list[dict[str, Any]], cfg: TrainConfig, prompt_len: float, shape: dict[str, Any],
            peak: float, datasheet: float | None) -> dict[str, float]:
    """Throughput and MFU of the logged steps (metrics.jsonl rows), from the trainer's perf/* timings.

    Trainer tokens: every response's prompt + response tokens (all are forwarded and backpropagated);
    rollout tokens: the generated ones, over `perf/rollout_s` (sampling and scoring; scoring a random
    model's responses takes milliseconds). Worked example: 16 responses of 4096 tokens after 200-token
    prompts in 20 s of update → 16·4296/20 = 3437 trainer tokens/s.
    """
    n_params, layers, d = model_flops(shape)
    train_tok = gen_tok = update_s = rollout_s = 0.0
    attn = 0.0
    for r in rows:
        stage = cfg.stages[int(r["stage/index"])]
        n_resp = stage.batch_size * stage.group_size  # online filtering is off in the profile: all trained
        seq = prompt_len + r["rollout/len_mean"]
        train_tok += n_resp * seq
        gen_tok += n_resp * r["rollout/len_mean"]
        attn += n_resp * 12 * layers * d * seq * seq / 2  # causal: half the T² score and value products
        update_s += r["perf/update_s"]
        rollout_s += r["perf/rollout_s"]
    train_flops = 6 * n_params * train_tok + attn
    out = {"steps": len(rows), "params_matmul": n_params, "trainer_tokens": train_tok, "rollout_tokens": gen_tok,
           "update_s": update_s, "rollout_s": rollout_s,
           "trainer_tokens_per_s": train_tok / update_s, "rollout_tokens_per_s": gen_tok / rollout_s,
           "measured_bf16_flops": peak, "mfu_train_vs_measured": train_flops / update_s / peak,
           "mfu_rollout_vs_measured": 2 * n_params * gen_tok / rollout_s / peak}
    if datasheet is not None:
        out["mfu_train_vs_datasheet"] = train_flops / update_s / datasheet
    return out


class PolicyOnCpu(RuntimeError):
    """The trainer ran a forward of the policy on the CPU in a GPU check."""


def refuse_cpu_policy() -> torch.utils.hooks.RemovableHandle:
    """A global forward pre-hook that raises `PolicyOnCpu` when a Hugging Face model runs on the CPU.

    The trainer builds its model inside `train()`; this is how the check sees where it landed, at the
    first forward (the first rollout's prefill), instead of decoding a 1.5B model on a CPU for hours.
    """

    def hook(module: torch.nn.Module, args: Any) -> None:
        if isinstance(module, PreTrainedModel) and next(module.parameters()).device.type == "cpu":
            raise PolicyOnCpu("the trainer runs the policy on the CPU although CUDA is available: in one process "
                              "nothing moved the model to the GPU (or1.trainer.run.setup / or1.policy.build_policy)")

    return torch.nn.modules.module.register_module_forward_pre_hook(hook)


def _datasheet_peak(device: torch.device) -> float | None:
    """The GPU's dense bf16 peak from `or1.throughput.GPUS`, when its name is listed there."""
    if device.type != "cuda":
        return None
    from or1.throughput import GPUS

    name = torch.cuda.get_device_name(device)
    hits = [g.peak_flops for key, g in GPUS.items() if key in name]
    return hits[0] if hits else None


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cpu-tiny", "--dry-run", dest="cpu_tiny", action="store_true",
                   help="run the same code path on the CPU with a tiny model and short responses (< 1 minute)")
    p.add_argument("--out", type=Path, help="work directory (default: a temporary one)")
    p.add_argument("--max-response", type=int, help="tokens per response, both stages (default 4096; tiny: 32)")
    p.add_argument("--prompts", type=int, default=2, help="prompts per step (default 2)")
    p.add_argument("--group", type=int, default=8, help="responses per prompt (default 8)")
    p.add_argument("--micro-batch-tokens", type=int, default=16384,
                   help="algo.micro_batch_tokens: padded tokens per forward/backward (default 16384)")
    p.add_argument("--deadline-s", type=float, default=300.0, help="watchdog deadline of rollout and update")
    a = p.parse_args(argv)
    a.max_response = a.max_response or (32 if a.cpu_tiny else 4096)
    if a.max_response < 1 or a.prompts < 1 or a.group < 2:
        p.error("--max-response and --prompts must be >= 1, --group >= 2")
    return a


def run_check(a: argparse.Namespace) -> dict[str, Any]:
    """Build the stand-in and rows in `a.out`, train, and return the figures (see the module docstring)."""
    from or1.rollout.prompts import encode_prompt
    from or1.trainer.loop import train
    from or1.trainer.metrics_log import read_metrics

    device = torch.device("cpu" if a.cpu_tiny else "cuda")
    shape = SHAPE_TINY if a.cpu_tiny else SHAPE_1_5B
    tok = standin_tokenizer()
    t0 = time.perf_counter()
    save_standin(a.out / "model", tok, shape, device=device.type)
    rows = math_rows(max(8, 2 * a.prompts))
    write_rows(rows, a.out / "math.parquet")
    log.info("stand-in model and %d rows written in %.0f s", len(rows), time.perf_counter() - t0)
    cfg = load_config(PAPER_CONFIG, [*smoke_profile(), *check_overrides(a)])
    peak = matmul_flops(device, 512 if a.cpu_tiny else 8192, 2 if a.cpu_tiny else 50)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    guard = refuse_cpu_policy() if device.type == "cuda" else None
    t0 = time.perf_counter()
    try:
        train(cfg, progress=False)
    finally:
        if guard is not None:
            guard.remove()
    wall = time.perf_counter() - t0
    metrics = [r for r in read_metrics(Path(cfg.out_dir) / "metrics.jsonl") if "perf/update_s" in r]
    prompts = [len(encode_prompt(tok, r["prompt"])) for r in rows]  # as the trainer encodes them
    out = figures(metrics, cfg, sum(prompts) / len(prompts), shape, peak, _datasheet_peak(device))
    out |= {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu", "train_wall_s": wall,
            "max_response": a.max_response, "responses_per_step": a.prompts * a.group}
    if device.type == "cuda":
        out["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    return out


def _print(fig: dict[str, Any]) -> None:
    print(f"device {fig['device']}: {fig['steps']} steps, {fig['responses_per_step']} responses of up to "
          f"{fig['max_response']} tokens each, {fig['train_wall_s']:.0f} s")
    print(f"trainer tokens/s  {fig['trainer_tokens_per_s']:10.0f}   ({fig['trainer_tokens']:.0f} tokens in "
          f"{fig['update_s']:.1f} s of update)")
    print(f"rollout tokens/s  {fig['rollout_tokens_per_s']:10.0f}   ({fig['rollout_tokens']:.0f} tokens in "
          f"{fig['rollout_s']:.1f} s of rollout)")
    if "peak_gpu_memory_gib" in fig:
        print(f"peak GPU memory   {fig['peak_gpu_memory_gib']:10.1f} GiB (torch.cuda.max_memory_allocated)")
    print(f"bf16 matmul       {fig['measured_bf16_flops'] / 1e12:10.1f} TFLOP/s measured")
    print(f"MFU train         {100 * fig['mfu_train_vs_measured']:10.1f} % of measured"
          + (f", {100 * fig['mfu_train_vs_datasheet']:.1f} % of datasheet" if "mfu_train_vs_datasheet" in fig else ""))
    print(f"MFU rollout       {100 * fig['mfu_rollout_vs_measured']:10.2f} % of measured (decode is memory-bound)")
    if "peak_gpu_memory_gib" in fig and fig["peak_gpu_memory_gib"] < 1.0:
        print("WARNING: under 1 GiB of GPU memory was used: the trainer kept the model on the CPU")


def main(argv: list[str] | None = None) -> int:
    a = _parse(argv)
    if not a.cpu_tiny and not torch.cuda.is_available():
        print("gpu_check: no CUDA device visible (torch.cuda.is_available() is False); run it on a GPU machine, "
              "or pass --cpu-tiny for the CPU dry run", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    keep = a.out is not None
    with tempfile.TemporaryDirectory(prefix="or1_gpu_check_") as tmp:
        a.out = (a.out or Path(tmp)).resolve()
        a.out.mkdir(parents=True, exist_ok=True)
        try:
            fig = run_check(a)
        except Exception as e:  # one readable line, as `or1 train` prints errors
            print(f"gpu_check: the run failed: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        _print(fig)
        if keep:
            (a.out / "gpu_check.json").write_text(json.dumps(fig, indent=1))
            print(f"figures: {a.out / 'gpu_check.json'}")
    return 0 if all(math.isfinite(v) for v in fig.values() if isinstance(v, float)) else 1


if __name__ == "__main__":
    sys.exit(main())
