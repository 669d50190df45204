"""YAML to typed config: unknown keys rejected with the closest valid name, values type-checked.

`load_config(path, overrides)` reads a YAML file, applies `key.sub=value` overrides (list items by index:
`stages.0.steps=5`), and builds the dataclasses of `config.py`, whose `__post_init__` checks the values.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import yaml

from or1.config import ConfigError, TrainConfig

__all__ = ["apply_overrides", "build", "config_to_dict", "dump_config", "fingerprint", "load_config"]

T = TypeVar("T")


def _convert(tp: Any, value: Any, key: str) -> Any:
    """Check `value` against the annotation `tp` and convert YAML lists to tuples and dicts to dataclasses."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for opt in (o for o in options if o is not type(None)):
            try:
                return _convert(opt, value, key)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{key}: bad value {value!r}")
    if origin is Literal:
        if value not in get_args(tp):
            choices = ", ".join(repr(c) for c in get_args(tp))
            raise ConfigError(f"{key}={value!r} is not one of {choices}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        (item_tp, _) = get_args(tp)
        return tuple(_convert(item_tp, v, f"{key}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping of its fields, got {value!r}")
        return build(tp, value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads `1e-4` (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported config type {tp}")


def build(cls: type[T], data: dict[str, Any], prefix: str = "") -> T:
    """Build dataclass `cls` from a mapping; unknown keys raise with the closest valid name."""
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if name not in fields:
            close = difflib.get_close_matches(str(name), list(fields), n=1, cutoff=0.5)
            hint = f"; did you mean '{(prefix + '.') if prefix else ''}{close[0]}'?" if close else ""
            raise ConfigError(f"unknown config key '{key}'{hint}")
        kwargs[name] = _convert(hints[name], value, key)
    missing = [n for n, f in fields.items() if n not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"missing required config key '{(prefix + '.') if prefix else ''}{missing[0]}'")
    try:
        return cls(**kwargs)
    except TypeError as e:  # pragma: no cover - guarded by the checks above
        raise ConfigError(f"{prefix or 'config'}: {e}") from None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key.sub=value` strings to a nested mapping; values are parsed as YAML (`1e-4`, `[1, 2]`)."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override '{item}' must look like key.sub=value")
        dotted, raw = item.split("=", 1)
        node: Any = data
        parts = dotted.strip().split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f"override '{dotted}': '{part}' is not an index of a {len(node)}-item list")
                node = node[int(part)]
            else:
                node = node.setdefault(part, {})
        last = parts[-1]
        value = yaml.safe_load(raw) if raw.strip() else None
        if isinstance(node, list):
            if not last.isdigit() or int(last) >= len(node):
                raise ConfigError(f"override '{dotted}': '{last}' is not an index of a {len(node)}-item list")
            node[int(last)] = value
        else:
            node[last] = value
    return data


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a training config from YAML, apply overrides, validate.

    Relative data paths are taken relative to the current directory, as a user types them.
    Raises:
        ConfigError: the file is missing, is not a YAML mapping, or holds an unknown key or bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of config keys")
    return build(TrainConfig, apply_overrides(data, overrides or []))


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict (tuples as lists), ready for YAML or JSON."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def dump_config(cfg: Any) -> str:
    return yaml.safe_dump(config_to_dict(cfg), sort_keys=False)


# Keys that may change between a checkpoint and its resume without changing the training trajectory.
_RESUMABLE_CHANGES = ("out_dir", "checkpoint_every", "keep_checkpoints", "validation", "reward", "threads", "ray",
                      "distributed", "watchdog", "logging")


def fingerprint(cfg: TrainConfig) -> str:
    """Hash of everything that shapes the training trajectory; a checkpoint only resumes a run with the same."""
    d = config_to_dict(cfg)
    for k in _RESUMABLE_CHANGES:
        d.pop(k, None)
    if cfg.algo.tis_cap is None:  # off: the fingerprint of a run from before the option existed
        d["algo"].pop("tis_cap")
        d["algo"].pop("tis_level")
    if cfg.rollout.mode == "sync":  # the fingerprint of a run from before async mode existed
        for k in ("mode", "max_staleness", "worker_threads"):
            d["rollout"].pop(k)
    else:
        d["rollout"].pop("worker_threads")  # threads change timings, never the batches
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
