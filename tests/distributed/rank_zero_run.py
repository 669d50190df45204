"""Two gloo ranks score the same requests through RankZeroScorer: rank 0's verifiers, everyone's rewards.

    torchrun --nproc_per_node 2 rank_zero_run.py OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from or1.distributed import init_distributed, shutdown
from or1.distributed.rank_zero import RankZeroScorer
from or1.rewards.registry import ScoreRequest, default_registry


def main() -> None:
    w = init_distributed("gloo")
    registry = default_registry(workers=1) if w.rank == 0 else None
    scorer = RankZeroScorer(registry)
    answers = ["</think> \\boxed{4}", "</think> \\boxed{5}", "no think tag \\boxed{4}", "</think> \\boxed{2+2}"]
    results = scorer.score([ScoreRequest(a, "math", "tiny", "4") for a in answers])
    scorer.close()
    out = Path(sys.argv[1]) / f"rank{w.rank}.json"
    out.write_text(json.dumps([[r.reward, r.status] for r in results]))
    shutdown()


if __name__ == "__main__":
    main()
