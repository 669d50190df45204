"""Start a local Ray cluster or join an existing one, and run chunks of work on actors with retry (docs/ray.md).

Ray runs the parts of a step that outgrow one process: verifier actors (ray_rewards.py) and HF-engine
rollout actors (ray_rollout.py). The trainer process is Ray's driver. Both kinds of actor share one
scheme: a batch is cut into contiguous chunks (`split_even`), chunk i runs on actor i, and a chunk whose
actor died is re-run on a fresh actor (`map_with_retry`). Ray is an optional dependency
(`pip install 'or1[ray]'`), so it is imported inside functions, never at module import.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "import_ray", "is_dead_actor_error", "kill_quietly", "map_with_retry", "shutdown", "split_even", "start_or_join",
]

log = logging.getLogger(__name__)

LOCAL_OBJECT_STORE_MB = 256  # enough for the tiny model's weights and reward batches; Ray's floor is ~75 MB


def import_ray() -> ModuleType:
    """The `ray` module, or an ImportError that says how to install it."""
    try:
        import ray
    except ImportError as e:
        raise ImportError("Ray is not installed: pip install 'or1[ray]'") from e
    return ray


def start_or_join(
    address: str | None = None, *, num_cpus: int | None = None, object_store_mb: int = LOCAL_OBJECT_STORE_MB
) -> str:
    """Connect this process to Ray as the driver; idempotent.

    Args:
        address: None starts a new local cluster (always a fresh one, even if another runs on this
            machine); "auto" joins the cluster started on this machine with `ray start`; "host:port"
            joins that cluster's GCS.
        num_cpus: CPUs the local cluster advertises (default: all cores). Ignored when joining.
        object_store_mb: object-store size of the local cluster, kept small for a laptop. Ignored when
            joining (the cluster's own setting applies).

    Returns:
        The GCS address of the cluster ("ip:port"), for logs and for `--ray-address` of other drivers.
    """
    if address is not None:
        _token_auth_if_configured()  # before Ray is imported: it reads its auth mode once, at import
    ray = import_ray()
    if not ray.is_initialized():
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if address is None:
            ray.init(address="local", num_cpus=num_cpus, object_store_memory=object_store_mb * 2**20,
                     include_dashboard=False, **quiet)
        else:
            ray.init(address=address, **quiet)
    gcs = ray.get_runtime_context().gcs_address
    log.info("ray: %s cluster at %s", "local" if address is None else "joined", gcs)
    return gcs


def _token_auth_if_configured() -> None:
    """Join with Ray's token authentication when this machine holds a token (RAY_AUTH_MODE unset).

    `ray start --head` turns token authentication on whenever a token exists (~/.ray/auth_token,
    RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH), but a driver joining "host:port" does not pick it up by itself
    and is refused with "Authentication token is missing or incorrect".
    """
    env = os.environ
    if "RAY_AUTH_MODE" in env:
        return
    if env.get("RAY_AUTH_TOKEN") or env.get("RAY_AUTH_TOKEN_PATH") or (Path.home() / ".ray" / "auth_token").is_file():
        env["RAY_AUTH_MODE"] = "token"


def shutdown() -> None:
    """Disconnect from Ray; a local cluster started by `start_or_join` stops with it."""
    ray = import_ray()
    if ray.is_initialized():
        ray.shutdown()


def is_dead_actor_error(e: BaseException) -> bool:
    """True when `e` says an actor died or became unreachable (its work can be re-run on a fresh actor)."""
    return isinstance(e, import_ray().exceptions.RayActorError)


def map_with_retry(
    actors: list[Any], call: Callable[[Any, int], Any], replace: Callable[[int], Any], n_chunks: int,
    max_retries: int, what: str,
) -> tuple[list[Any], int]:
    """Run chunk i on `actors[i]` for i < n_chunks, all at once; a chunk whose actor dies is re-run.

    Args:
        actors: actor handles, at least `n_chunks`; a replaced actor is written back into this list.
        call: `call(actor, i)` submits chunk i to `actor` and returns its ObjectRef.
        replace: `replace(i)` kills what is left of `actors[i]` and returns a fresh actor in its place.
        max_retries: re-submissions allowed per chunk; one more death raises.
        what: what the actors do, for messages ("reward", "rollout").

    Returns:
        (the chunks' results in chunk order, the number of re-submissions made).

    Raises:
        RuntimeError: a chunk's actor died more than `max_retries` times.
        Anything else a chunk raises (a bug, not a lost worker) is raised as is, without retry.
    """
    ray = import_ray()
    pending = {call(actors[i], i): i for i in range(n_chunks)}
    attempts, out = [0] * n_chunks, [None] * n_chunks
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        i = pending.pop(ref)
        try:
            out[i] = ray.get(ref)
        except Exception as e:
            if not is_dead_actor_error(e):
                raise
            attempts[i] += 1
            if attempts[i] > max_retries:
                raise RuntimeError(f"{what} chunk {i}: its actor died {attempts[i]} times "
                                   f"(ray.max_retries={max_retries}); last error: {type(e).__name__}") from e
            log.warning("%s actor %d died (%s); re-running its chunk on a fresh actor (retry %d/%d)",
                        what, i, type(e).__name__, attempts[i], max_retries)
            actors[i] = replace(i)
            pending[call(actors[i], i)] = i
    return out, sum(attempts)


def kill_quietly(actor: Any) -> None:
    """`ray.kill` an actor that may already be dead."""
    ray = import_ray()
    with contextlib.suppress(Exception):  # already gone is fine
        ray.kill(actor, no_restart=True)


def split_even(n: int, parts: int) -> list[range]:
    """Contiguous index ranges covering 0..n-1 in at most `parts` non-empty pieces, sizes differing by <= 1."""
    parts = max(1, min(parts, n))
    size, extra = divmod(n, parts)
    bounds = [0]
    for i in range(parts):
        bounds.append(bounds[-1] + size + (i < extra))
    return [range(a, b) for a, b in itertools.pairwise(bounds) if b > a]
