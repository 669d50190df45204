"""Data sets shipped inside the package, usable by name wherever a data file is asked for.

`aime24`, `aime25` (the original release's evaluation files, byte for byte; their sha256 sums are in
`or1/problems/sets/README.md`) and `code_tiny` (built by `python -m or1.eval.code_tiny`) live in
`or1/problems/sets/`. A name resolves there unless a file of that name exists, so `--data aime24`,
`data.val_files: [aime24, aime25]` and `or1 data decontaminate --against aime24` all read the packaged
file, and a real path is always read as given.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["BUILTIN", "resolve_data_file"]

# Name -> file in or1/problems/sets/.
BUILTIN = {"aime24": "aime24.parquet", "aime25": "aime25.parquet", "code_tiny": "code_tiny.parquet"}


def resolve_data_file(spec: str | Path) -> Path:
    """The file a data argument names: a path as given, or a packaged set by name (`aime24`).

    An existing file wins over a name, so a local `aime24` file is never shadowed. Anything that is
    neither is returned unchanged as a path, for the reader to report as missing.

    Example: resolve_data_file("aime24") -> .../site-packages/or1/problems/sets/aime24.parquet;
    resolve_data_file("data/eval/aime24.parquet") -> Path("data/eval/aime24.parquet").
    """
    path = Path(spec)
    name = str(spec)
    if path.is_file() or name not in BUILTIN:
        return path
    # files("or1") imports only the top-level package, not a sub-package that may be importing this one.
    return Path(str(resources.files("or1").joinpath("problems", "sets", BUILTIN[name])))
