"""The math verifier (DESIGN.md §2, docs/math_verifier.md): extraction of the final answer, normalisation,
structure, exact numbers, symbolic equality through math-verify, and the well-formedness rules.

The entry point is `MathVerifier` (verifier.py); the other modules are its steps, one file each.
"""

from or1.lazy import lazy_exports

__all__ = ["MathVerifier", "extract_answer", "extract_boxed", "gold_answers", "score", "verify"]
__getattr__ = lazy_exports(__name__, {name: "verifier" for name in __all__})
