"""Extract Math-Verify's own parametrised test tables into tests/rewards/data/math_verify_cases.jsonl.

Usage: python benchmarks/math_verify_tables.py PATH/TO/Math-Verify [--out FILE]

Each row keeps where it came from (file, test, commit) and the settings its test passes to
math-verify (extraction targets, float precision, strict, set-relation comparison), so the
differential benchmark (benchmarks/verify_math_differential.py) can tell the tables that use the
default settings from the others. Reads the test modules by importing them; needs math-verify.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

_MODULES = ("test_all", "test_boxed", "test_numina_cases", "test_open_thoughts", "test_yujianll", "test_strict")
_DEFAULTS = {"match_types": ["latex", "expr"], "precision": 6, "strict": True, "allow_set_relation_comp": False}


def _call_settings(fn: object) -> dict[str, object] | None:
    """Keyword arguments of the compare_strings call in a test body: constants, or the name of
    the test parameter that supplies them. None when the test does not call compare_strings."""
    tree = ast.parse(inspect.getsource(fn).lstrip())  # type: ignore[arg-type]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "compare_strings":
            out: dict[str, object] = {}
            for kw in node.keywords:
                value = kw.value
                out[kw.arg or ""] = {"param": value.id} if isinstance(value, ast.Name) else ast.literal_eval(value)
            return out
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "verify":
            return {}  # plain parse/verify with defaults (test_yujianll)
    return None


def _rows(module: object, source: str, commit: str) -> list[dict[str, object]]:
    rows = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
        settings = _call_settings(fn) if marks else None
        if not marks or settings is None:
            continue
        names = [n.strip() for n in marks[0].args[0].split(",")]
        for values in marks[0].args[1]:
            case = dict(zip(names, values, strict=True))
            resolved = dict(_DEFAULTS)
            for key, value in settings.items():
                resolved[key] = case[value["param"]] if isinstance(value, dict) else value
            expected = case.get("expected", case.get("result"))
            rows.append({
                "source": f"{source}::{name}", "commit": commit, "gold": case["gold"], "prediction": case["pred"],
                "expected": bool(expected), **resolved,
                "default_settings": all(resolved[k] == _DEFAULTS[k] for k in _DEFAULTS),
            })
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", type=Path, help="a checkout of huggingface/Math-Verify")
    ap.add_argument("--out", type=Path, default=Path("tests/rewards/data/math_verify_cases.jsonl"))
    ap.add_argument("--commit", default="", help="the checkout's commit, when it is not a git work tree")
    args = ap.parse_args()
    git = subprocess.run(["git", "-C", str(args.repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = args.commit or git.stdout.strip()
    sys.path.insert(0, str(args.repo))
    rows = []
    for mod in _MODULES:
        rows += _rows(importlib.import_module(f"tests.{mod}"), f"tests/{mod}.py", commit or "unknown")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows ({sum(r['default_settings'] for r in rows)} with default settings) -> {args.out}")


if __name__ == "__main__":
    main()
