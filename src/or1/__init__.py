"""or1: the Skywork-OR1 recipe (GRPO + MAGIC) from a laptop CPU to GPU clusters."""

__version__ = "0.1.0"
__all__ = ["__version__"]
