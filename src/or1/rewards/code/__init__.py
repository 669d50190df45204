"""The code verifier (DESIGN.md §2, docs/sandbox.md): extract the program, run it on the tests in a
sandbox run of its own, compare outputs on the host.

The entry point is `CodeVerifier` (verifier.py). The sandbox is host side (sandbox.py, launcher_host.py,
frames.py, cgroup.py) and inside (launcher.py, jail.py, harness.py: standard library only, imported as
top-level modules by the launcher process).
"""

from or1.lazy import lazy_exports

__all__ = ["CodeVerifier", "extract", "extract_program", "score", "verify"]
__getattr__ = lazy_exports(__name__, {name: "verifier" for name in __all__})
