"""Command-line flags built from config dataclasses, so a default and its help are written once (config.py).

    FLAGS = {"k": "--k", "verify.math_timeout_s": "--math-timeout"}
    add_flags(parser, EvalConfig, FLAGS)           # --k (int, default 32, help from the field), ...
    cfg = from_flags(parser, EvalConfig, args, FLAGS)

`from_flags` builds the config from the parsed values; a `ConfigError` (which names dotted keys, e.g.
`eval.k=0 must be >= 1`) becomes argparse's usage error with each key replaced by its flag
(`--k=0 must be >= 1`): one error style, spelt the way the user wrote the setting.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import types
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from or1.config import ConfigError

__all__ = ["add_flags", "flag_message", "from_flags"]

T = TypeVar("T")


def _field(cls: type, dotted: str) -> tuple[dataclasses.Field, Any]:
    """The dataclass field at `dotted` (e.g. verify.math_timeout_s) under `cls`, and its resolved type."""
    *parents, name = dotted.split(".")
    for part in parents:
        cls = get_type_hints(cls)[part]
    f = next((f for f in dataclasses.fields(cls) if f.name == name), None)
    if f is None:
        raise KeyError(f"{cls.__name__} has no field {name!r}")
    return f, get_type_hints(cls)[name]


def _default(cls: type, dotted: str) -> Any:
    value: Any = cls()
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _converter(tp: Any) -> dict[str, Any]:
    """argparse `type`/`choices` for a field type: int, float, str, X | None, Literal[...]."""
    if get_origin(tp) in (Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"no flag type for {tp}")
        tp = inner[0]
    if get_origin(tp) is Literal:
        return {"choices": list(get_args(tp))}
    if tp in (int, float, str):
        return {"type": tp}
    raise TypeError(f"no flag type for {tp}")


def add_flags(parser: argparse.ArgumentParser, cls: type, flags: dict[str, str]) -> None:
    """Add one option per entry of `flags` (dotted field → flag), typed, defaulted and helped by the field."""
    for dotted, flag in flags.items():
        f, tp = _field(cls, dotted)
        if tp is bool:
            raise TypeError(f"{dotted}: boolean fields need a --x/--no-x pair, not built here")
        default, text = _default(cls, dotted), f.metadata.get("help", dotted)
        if "default" not in text:  # a help that explains its own default keeps it
            text += f" (default: {default})"
        conv = _converter(tp)
        metavar = None if "choices" in conv else flag.lstrip("-").upper().replace("-", "_")
        parser.add_argument(flag, dest=dotted.replace(".", "__"), default=default, metavar=metavar, help=text, **conv)


def from_flags(parser: argparse.ArgumentParser, cls: type[T], args: argparse.Namespace, flags: dict[str, str],
               **fixed: Any) -> T:
    """`cls` built from the parsed flags (and `fixed` values); a ConfigError is a usage error naming flags."""
    nested: dict[str, Any] = dict(fixed)
    for dotted in flags:
        *parents, name = dotted.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[name] = getattr(args, dotted.replace(".", "__"))
    try:
        return _build(cls, nested)
    except ConfigError as e:
        parser.error(flag_message(str(e), flags))
    raise AssertionError("unreachable")  # parser.error exits


def _build(cls: type[T], values: dict[str, Any]) -> T:
    hints = get_type_hints(cls)
    kwargs = {k: _build(hints[k], v) if isinstance(v, dict) and dataclasses.is_dataclass(hints[k]) else v
              for k, v in values.items()}
    return cls(**kwargs)


def flag_message(message: str, flags: dict[str, str]) -> str:
    """`message` with every dotted key of `flags` (after its section, e.g. `eval.` or `verify.`) replaced by
    its flag: `eval.k=0 must be >= 1` → `--k=0 must be >= 1`."""
    for dotted, flag in sorted(flags.items(), key=lambda kv: -len(kv[0])):
        name = dotted.rsplit(".", 1)[-1]
        message = re.sub(rf"\b[a-z_]+\.{re.escape(name)}\b", flag, message)
    return message

