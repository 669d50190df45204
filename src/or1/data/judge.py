"""`or1 data judge`: judge models vote on each problem's quality; keep problems with >= M votes.

Each judge (any causal LM the rollout engine loads) answers the prompt `votes` times per problem at the
given temperature. A response votes for the problem when the last verdict word in its answer part
(after `</think>` when there is one) matches `accept`; a last verdict matching `reject`, or none at
all (counted as unparsed), is no vote. The prompt is a template: `{problem}` and `{answer}` are
replaced literally (problems are full of braces, so no `str.format`). Votes are stored in
`extra_info.judge` = {votes, total, unparsed}; rows under `min_votes` are removed (reason low_votes).
"""

from __future__ import annotations

import re
from typing import Any

from or1.config import JudgeOptions
from or1.data.rows import Removal, StepOutcome, extra, row_uid
from or1.data.text import problem_text

__all__ = ["judge_rows", "parse_verdict", "render_prompt"]

def render_prompt(template: str, row: dict[str, Any]) -> str:
    """The judge's user message for one row."""
    gt = (row.get("reward_model") or {}).get("ground_truth") or ""
    answer = "(tests given in the data)" if row.get("ability") == "code" else str(gt)
    return template.replace("{problem}", problem_text(row)).replace("{answer}", answer)


def parse_verdict(text: str, accept: str, reject: str) -> bool | None:
    """True (accept), False (reject) or None (no verdict): the last verdict in the answer part wins."""
    answer = text.rsplit("</think>", 1)[-1]
    last: tuple[int, bool] | None = None
    for pattern, verdict in ((accept, True), (reject, False)):
        for m in re.finditer(pattern, answer, flags=re.IGNORECASE):
            if last is None or m.start() >= last[0]:
                last = (m.start(), verdict)
    return None if last is None else last[1]


def _judge_votes(model_dir: str, prompts: list[str], opts: JudgeOptions, judge: int) -> list[list[bool | None]]:
    """Verdicts of one judge: `opts.votes` per prompt."""
    from or1.policy import load_engine
    from or1.rollout.prompts import encode_prompt
    from or1.rollout.types import SamplingParams
    from or1.sampling import decode_responses

    engine, tok = load_engine(model_dir, dtype="float32", device="cpu", max_batch=256, seed=opts.seed)
    params = SamplingParams(n=opts.votes, temperature=opts.temperature, top_p=opts.top_p, max_tokens=opts.max_tokens)
    out: list[list[bool | None]] = []
    for c, s in enumerate(range(0, len(prompts), opts.chunk)):
        ids = [encode_prompt(tok, [{"role": "user", "content": p}]) for p in prompts[s : s + opts.chunk]]
        batch = engine.generate(ids, params, opts.seed + 1000 * judge + c)
        texts = decode_responses(tok, batch.response_ids, batch.resp_mask)
        verdicts = [parse_verdict(t, opts.accept, opts.reject) for t in texts]
        out += [verdicts[k : k + opts.votes] for k in range(0, len(verdicts), opts.votes)]
    return out


def judge_rows(rows: list[dict[str, Any]], opts: JudgeOptions) -> StepOutcome:
    """Collect every judge's votes, store them in `extra_info.judge`, drop rows under `min_votes`."""
    prompts = [render_prompt(opts.prompt, r) for r in rows]
    tallies = [{"votes": 0, "total": 0, "unparsed": 0} for _ in rows]
    for j, model_dir in enumerate(opts.models):
        for tally, verdicts in zip(tallies, _judge_votes(model_dir, prompts, opts, j) if rows else [], strict=True):
            tally["votes"] += sum(v is True for v in verdicts)
            tally["unparsed"] += sum(v is None for v in verdicts)
            tally["total"] += len(verdicts)
    kept, removed = [], []
    for i, (row, tally) in enumerate(zip(rows, tallies, strict=True)):
        extra(row)["judge"] = tally
        if tally["votes"] >= opts.min_votes:
            kept.append(row)
        else:
            removed.append(Removal(row_uid(row, i), "low_votes", {**tally, "min_votes": opts.min_votes}))
    votes_hist: dict[str, int] = {}
    for t in tallies:
        votes_hist[str(t["votes"])] = votes_hist.get(str(t["votes"]), 0) + 1
    return StepOutcome(kept, removed, {"judges": list(opts.models), "votes_histogram": dict(sorted(
        votes_hist.items(), key=lambda kv: int(kv[0]))), "unparsed": sum(t["unparsed"] for t in tallies)})
