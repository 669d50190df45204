"""The tiny world: a small Qwen2-shaped model, its tokenizer and an arithmetic task, for CPU runs and tests."""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["build_tiny_model", "build_tokenizer", "make_rows", "write_task_files"]

_WHERE = {"build_tiny_model": "model", "build_tokenizer": "tokenizer", "make_rows": "task",
          "write_task_files": "task"}

__getattr__ = lazy_exports(__name__, _WHERE)
