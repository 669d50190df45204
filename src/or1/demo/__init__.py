"""`or1 demo`: the whole recipe on the tiny world on CPU (data, SFT warm start, RL, evaluation, report)."""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["DemoSize", "demo_config", "run_demo"]

__getattr__ = lazy_exports(__name__, {"DemoSize": "run", "demo_config": "run", "run_demo": "run"})
