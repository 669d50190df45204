"""Packaging: every package has an `__init__.py` with `__all__`, every exported name resolves, every module
says what it exports, and importing a package stays light (its names load on first use)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "or1"
PACKAGES = sorted(p.parent for p in SRC.rglob("*.py") if p.parent != SRC and "configs" not in p.parts)
# Scripts run as their own process inside the sandbox (no importers, nothing to export).
SCRIPTS = {"rewards/code/jail.py", "rewards/code/harness.py", "rewards/code/launcher.py"}


def _dotted(path: Path) -> str:
    return ".".join(("or1", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")


@pytest.mark.parametrize("pkg", sorted({_dotted(p / "__init__.py") for p in PACKAGES}))
def test_every_package_exports_names_that_resolve(pkg):
    path = SRC.joinpath(*pkg.split(".")[1:], "__init__.py")
    assert path.is_file(), f"{pkg} has no __init__.py"
    mod = importlib.import_module(pkg)
    assert getattr(mod, "__all__", None), f"{pkg} has no __all__"
    missing = [n for n in mod.__all__ if getattr(mod, n, None) is None]
    assert not missing, f"{pkg}.__all__ names that do not resolve: {missing}"


def test_every_module_lists_its_exports():
    modules = [p for p in SRC.rglob("*.py") if p.name != "__init__.py" and "configs" not in p.parts]
    lacking = [str(p.relative_to(SRC)) for p in modules
               if str(p.relative_to(SRC)) not in SCRIPTS and "\n__all__" not in p.read_text()]
    assert not lacking, f"modules without __all__: {lacking}"


def test_importing_packages_loads_no_torch():
    pkgs = ", ".join(sorted({_dotted(p / "__init__.py") for p in PACKAGES if (p / "__init__.py").is_file()}
                            - {"or1.algo", "or1.distributed"}))  # these export torch functions eagerly
    code = f"import sys, {pkgs}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"importing {pkgs} loaded torch"
