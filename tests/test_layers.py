"""The layering of docs/architecture.md, checked on the source: each part imports only the parts below it
(any import, at module or function level), and no module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

BASE = {"config", "config_load", "config_flags", "argtypes", "atomic", "lazy", "manifest", "checkpoints", "stats",
        "throughput", "train_memory", "async_split"}
# part -> the parts it may import (besides itself). A part is a package under or1/ or a top-level module.
MAY_IMPORT: dict[str, set[str]] = {
    "config": set(), "lazy": set(), "atomic": set(), "argtypes": set(), "stats": set(),
    "config_load": {"config"}, "config_flags": {"config"}, "manifest": {"atomic"}, "checkpoints": {"manifest"},
    "throughput": {"config"}, "train_memory": {"throughput"}, "async_split": {"throughput", "train_memory"},
    "algo": set(),
    "problems": {"atomic", "lazy"},
    "rewards": {"config", "lazy"},
    "rollout": {"config", "lazy"},
    "tiny": {"lazy", "problems"},
    "distributed": BASE | {"rewards", "rollout"},
    "policy": BASE | {"distributed", "rollout", "tiny"},
    "sampling": {"problems", "rewards", "rollout"},
    "trainer": BASE | {"algo", "distributed", "policy", "problems", "rewards", "rollout", "sampling"},
    "eval": BASE | {"policy", "problems", "rewards", "rollout", "sampling"},
    "data": BASE | {"policy", "problems", "rewards", "rollout", "sampling"},
    "dashboard": BASE | {"trainer"},  # reads the metrics log with the trainer's own reader
    "demo": BASE | {"dashboard", "eval", "policy", "problems", "rewards", "tiny", "trainer"},
    "study": BASE | {"dashboard", "demo", "policy", "problems", "rollout", "sampling", "trainer"},
    "plan": BASE,
    "cli": set(),  # the top: anything
}


def _modules() -> dict[str, Path]:
    out = {}
    for f in (SRC / "or1").rglob("*.py"):
        out[".".join(f.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")] = f
    return out


def _imports(path: Path, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in known}
    return found


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "or1"


GRAPH = {m: _imports(p, set(_modules())) for m, p in _modules().items()}


def test_every_part_has_a_rule():
    assert {_part(m) for m in GRAPH} - {"or1", "configs"} <= set(MAY_IMPORT)


def test_each_part_imports_only_the_parts_below_it():
    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
                   if _part(m) not in ("cli", "or1") and _part(t) != _part(m)
                   and _part(t) not in MAY_IMPORT[_part(m)])
    assert not wrong, "imports against docs/architecture.md:\n" + "\n".join(wrong)


def test_no_import_circle():
    def circle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for t in GRAPH[node]:
                if t == start:
                    return [*path, t]
                if t not in seen:
                    seen.add(t)
                    stack.append((t, [*path, t]))
        return None

    circles = [c for m in sorted(GRAPH) if (c := circle_from(m)) is not None]
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles[:5])
