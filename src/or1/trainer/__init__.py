"""The RL trainer (DESIGN.md §1, §5): `train` runs the loop of `train_step`s; SFT, checkpoints, export.

Names are imported on first use (`import or1.trainer` loads neither torch nor transformers). The algorithm
is `or1.algo`; the model, engine and sampling layer below is `or1.policy` and `or1.sampling`.
"""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["CheckpointError", "Run", "export_hf", "load_checkpoint", "policy_update", "read_metrics",
           "save_checkpoint", "setup", "sft", "train", "train_step"]

_WHERE = {"CheckpointError": "checkpoint", "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
          "Run": "run", "setup": "run", "train": "loop", "train_step": "loop", "policy_update": "update",
          "export_hf": "export", "read_metrics": "metrics_log", "sft": "sft"}

__getattr__ = lazy_exports(__name__, _WHERE)
