"""Package exports imported on first use, so `import or1.x` stays light.

A package lists its public names in `__all__` and where each lives; `lazy_exports` returns the module-level
`__getattr__` that imports the owning module when a name is first read:

    __all__ = ["MathVerifier"]
    __getattr__ = lazy_exports(__name__, {"MathVerifier": "verifier"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that reads each name in `where` from `package.<module>`."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    return __getattr__
