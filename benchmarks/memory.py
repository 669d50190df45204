"""Peak trainer memory and step time of the log-prob forward: full logits (the former way) vs LM-head chunks.

Usage: python benchmarks/memory.py [--quick] [--lengths 1024 2048 ...] [--vocabs 6144 32768 152064]
                                   [--max-gb 8] [--reps 2] [--threads 1]

One step is `response_logp` (with entropy) forward + backward of Σ(logp + 0.01·entropy) on one row: a 16-token
prompt and a response of T tokens, through a Qwen2-shaped model small enough for a laptop (hidden 128, 2 layers,
4 heads / 2 KV heads, MLP 512, untied head as the 7B and 32B models) with vocabulary V. `full` is the trainer's
former forward (`chunk_tokens=None`: (T, V) logits, fp32, log_softmax, entropy); `chunked` the default
(`trainer/lm_head_chunks.py`: blocks of 1024 positions × 32768 vocabulary entries, recomputed in backward).

Each (T, V, way) runs in a fresh subprocess, after a warm-up step on a 16-token response that also allocates the
parameters' gradients (so the measured peak is what the step adds over weights + gradients):
- memory on CPU: the peak resident set size during the step minus the resident size just before it. The peak is
  reset before the step (Linux `/proc/self/clear_refs` = 5, then `VmHWM`), and glibc's mmap threshold is pinned
  to 64 KiB (`MALLOC_MMAP_THRESHOLD_`), so every tensor over 64 KiB is its own mapping, returned to the system
  when freed: the resident size follows torch's live CPU allocations (tracemalloc does not see them).
  On CUDA: `torch.cuda.max_memory_allocated` minus the allocated bytes before the step.
- time: the median of `--reps` further steps.
`full` runs only where its estimated peak (6 fp32 copies of (T, V)) is under `--max-gb`; the rest print "-".
Configurations run T by T, V by V, the two ways back to back, so load from other jobs falls on both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, Qwen2Config

from or1.trainer.forward import LOGP_CHUNK_TOKENS, response_logp

PROMPT = 16
WAYS = {"full": None, "chunked": LOGP_CHUNK_TOKENS}


def _model(vocab: int, positions: int) -> torch.nn.Module:
    config = Qwen2Config(vocab_size=vocab, hidden_size=128, intermediate_size=512, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=positions,
                         tie_word_embeddings=False, use_cache=False)
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config)


def _rss_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def _one(T: int, V: int, way: str, reps: int) -> dict[str, float]:
    """One configuration in this process: peak bytes the step adds, and its median seconds."""
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    model = _model(V, PROMPT + T + 1).to(device)
    gen = torch.Generator().manual_seed(1)
    prompt = [torch.randint(0, V, (PROMPT,), generator=gen).tolist()]
    chunk = WAYS[way]

    def step(t: int) -> None:
        resp = torch.randint(0, V, (1, t), generator=gen).to(device)
        mask = torch.ones(1, t, dtype=torch.bool, device=device)
        logp, ent = response_logp(model, prompt, resp, mask, 1.0, 0, with_entropy=True, chunk_tokens=chunk)
        (logp.sum() + 0.01 * ent.sum()).backward()  # type: ignore[union-attr]
        model.zero_grad(set_to_none=False)  # gradients stay allocated: the next step's peak is over them
        if cuda:
            torch.cuda.synchronize()

    step(16)  # warm-up: kernels, threads, gradient buffers
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step(T)
        peak = torch.cuda.max_memory_allocated() - before
    else:
        before = _rss_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        step(T)
        peak = (_rss_kb("VmHWM") - before) * 1024
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step(T)
        times.append(time.perf_counter() - t0)
    return {"peak_bytes": float(peak), "seconds": statistics.median(times)}


def _run(T: int, V: int, way: str, reps: int, threads: int) -> dict[str, float]:
    env = os.environ | {"MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--one", str(T), str(V), way, "--reps", str(reps), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of peak bytes over T (bytes per token); None below two points."""
    if len(points) < 2:
        return None
    mt = statistics.fmean(t for t, _ in points)
    mb = statistics.fmean(b for _, b in points)
    return sum((t - mt) * (b - mb) for t, b in points) / sum((t - mt) ** 2 for t, _ in points)


def _full_estimate(T: int, V: int) -> float:
    """Bytes the full-logits step holds at its peak: about six fp32 copies of the (T, V) logits."""
    return 6 * 4 * T * V


def _mb(x: float | None) -> str:
    return "-" if x is None else f"{x / 2**20:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="T in 1K, 2K, 4K and 1 timed step: a few minutes")
    ap.add_argument("--lengths", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    ap.add_argument("--vocabs", type=int, nargs="+", default=[6144, 32768, 152064])
    ap.add_argument("--max-gb", type=float, default=8.0, help="skip `full` where its estimated peak is above")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--one", nargs=3, metavar=("T", "V", "WAY"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.one:
        print(json.dumps(_one(int(a.one[0]), int(a.one[1]), a.one[2], a.reps)))
        return
    lengths, reps = ([1024, 2048, 4096], 1) if a.quick else (a.lengths, a.reps)
    device = "CUDA: torch.cuda.max_memory_allocated" if torch.cuda.is_available() else \
        "CPU: peak RSS (VmHWM) over the step, mmap threshold 64 KiB"
    print(f"memory: {device}; {a.threads} thread(s); time: median of {reps} step(s)\n")
    print(f"{'V':>7} {'T':>6} | {'full MB':>8} {'chunked MB':>10} {'ratio':>6} | {'full s':>7} {'chunked s':>9} "
          f"{'ratio':>6}")
    res: dict[tuple[int, int, str], dict[str, float]] = {}
    for V in a.vocabs:
        for T in lengths:
            for way in WAYS:
                if way == "full" and _full_estimate(T, V) > a.max_gb * 1e9:
                    continue
                res[V, T, way] = _run(T, V, way, reps, a.threads)
            f, c = res.get((V, T, "full")), res[V, T, "chunked"]
            mem = f"{f['peak_bytes'] / c['peak_bytes']:6.1f}" if f else f"{'-':>6}"
            tim = f"{c['seconds'] / f['seconds']:6.2f}" if f else f"{'-':>6}"
            full_s = f"{f['seconds']:.2f}" if f else "-"
            print(f"{V:>7} {T:>6} | {_mb(f['peak_bytes'] if f else None):>8} {_mb(c['peak_bytes']):>10} {mem} | "
                  f"{full_s:>7} {c['seconds']:9.2f} {tim}", flush=True)
    print("\nslope of the peak over T (MB per 1K tokens), least squares over the lengths run:")
    for V in a.vocabs:
        sf = _slope([(T, res[V, T, "full"]["peak_bytes"]) for T in lengths if (V, T, "full") in res])
        sc = _slope([(T, res[V, T, "chunked"]["peak_bytes"]) for T in lengths])
        ratio = f"{sf / sc:.1f}x smaller" if sf and sc and sc > 0 else "-"
        print(f"  V={V:>6}: full {_mb(sf * 1024) if sf else '-'}, chunked {_mb(sc * 1024) if sc else '-'} ({ratio})")
    T = max(lengths)
    print(f"chunked peak at T={T} across V: " + ", ".join(f"{_mb(res[V, T, 'chunked']['peak_bytes'])} MB (V={V})"
                                                          for V in a.vocabs))


if __name__ == "__main__":
    main()
