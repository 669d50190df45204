"""Run a Ray script in a private network namespace with only loopback up (docs/ray.md).

Ray binds the machine's external address when it has one; inside `unshare -n` it can only use
127.0.0.1, so a test's cluster is invisible from outside and cannot clash with another one.
"""

from __future__ import annotations

import functools
import importlib.util
import shlex
import subprocess
import sys
import time
from pathlib import Path

from conftest import netns_skip_reason as no_netns_reason


@functools.cache
def netns_skip_reason() -> str | None:
    """Why Ray scripts cannot run in a loopback-only network namespace here, or None."""
    if importlib.util.find_spec("ray") is None:
        return "needs ray: pip install 'or1[ray]'"
    return no_netns_reason()


def run_in_netns(script: Path, *args: str, timeout: float = 240) -> float:
    """Run `python script args` inside `unshare -n`; fail with its output if it fails. Returns seconds taken."""
    inner = "ip link set lo up && exec " + shlex.join([sys.executable, str(script), *args])
    start = time.monotonic()
    proc = subprocess.run(["unshare", "-n", "sh", "-c", inner], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return time.monotonic() - start


def netns_report(tmp_path_factory, script: Path, name: str) -> dict:
    """Run `script --out FILE` in the namespace (skipping when it cannot run here); its pickled report."""
    import pickle

    import pytest

    if netns_skip_reason() is not None:
        pytest.skip(netns_skip_reason())
    out = tmp_path_factory.mktemp(name) / "report.pkl"
    run_in_netns(script, "--out", str(out))
    return pickle.loads(out.read_bytes())
