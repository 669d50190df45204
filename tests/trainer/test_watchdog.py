"""The hang watchdog: past a phase's deadline, every thread's stack goes to OUT/hang_<step>.txt; then the
run fails (a real `or1 train`, exit 1) or, with watchdog.action=warn, goes on."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

from conftest import write_config
from or1.config import WatchdogConfig
from or1.trainer.watchdog import Watchdog


def _stall(wd: Watchdog, phase: str) -> None:
    """Stay in `phase` until the watchdog has reported it (at most 60 s on a loaded machine)."""
    with wd.phase(phase):
        wd.note("mini-batch 1 of 2")
        deadline = time.monotonic() + 60
        while not wd.hangs and time.monotonic() < deadline:
            time.sleep(0.02)


def test_warn_writes_the_phase_and_every_stack_and_goes_on(tmp_path, caplog):
    wd = Watchdog(WatchdogConfig(action="warn", update_s=0.2), tmp_path)
    wd.step = 3
    with caplog.at_level(logging.ERROR):
        _stall(wd, "update")
        with wd.phase("update"):  # the next phase runs as usual
            pass
    wd.close()
    assert wd.hangs == [tmp_path / "hang_3.txt"]
    text = wd.hangs[0].read_text()
    assert text.startswith("phase update of step 3 on rank 0 of 1 ran ")
    assert "past its deadline of 0.2 s (watchdog.update_s)\nprogress: mini-batch 1 of 2\n" in text
    assert "in _stall" in text and "test_watchdog.py" in text  # the stalled thread's own stack
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("hang: rank 0 stalled in phase update of step 3 for ")
    assert line.endswith("going on (watchdog.action=warn)")


def test_each_rank_writes_its_own_file(tmp_path):
    wd = Watchdog(WatchdogConfig(action="warn", checkpoint_s=0.1), tmp_path, rank=1, world_size=2)
    wd.step = 5
    _stall(wd, "checkpoint")
    wd.close()
    assert wd.hangs == [tmp_path / "hang_5_rank1.txt"]
    assert "on rank 1 of 2" in wd.hangs[0].read_text()


def test_deadlines_grow_with_the_response_length_for_sampling_phases_only(tmp_path):
    wd = Watchdog(WatchdogConfig(enabled=False, rollout_s=100, checkpoint_s=100, reference_length=1000), tmp_path)
    wd.response_length = 500
    assert wd.deadline_s("rollout") == 100
    wd.response_length = 4000
    assert (wd.deadline_s("rollout"), wd.deadline_s("checkpoint")) == (400, 100)


def test_a_stalled_phase_fails_the_run(tmp_path, easy_task):
    cfg = write_config(tmp_path / "c.yaml", data={"train_files": [str(easy_task["train"])], "val_files": []},
                       filter={"online": False, "offline": False}, threads=1)
    done = subprocess.run([sys.executable, "-m", "or1.cli", "train", str(cfg), "--no-progress",
                           "watchdog.update_s=0.001"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "hang: rank 0 stalled in phase update of step 1" in done.stderr
    text = (tmp_path / "run" / "hang_1.txt").read_text()
    assert text.startswith("phase update of step 1 on rank 0 of 1")
    assert "policy_update" in text  # where the main thread was
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_bad_deadlines_name_their_key():
    import pytest

    from or1.config import ConfigError

    with pytest.raises(ConfigError, match=r"watchdog\.update_s=0 must be > 0"):
        WatchdogConfig(update_s=0)
