"""A TACO-format file goes through `or1 data ingest` and trains: two RL steps of the tiny CPU model on it.

The untrained model writes no program, so every reward is 0; what is checked is that the ingested code rows
load as training data, reach the code verifier and give the trainer its steps.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_config
from or1.config import IngestOptions
from or1.config_load import load_config
from or1.data.ingest import ingest
from or1.trainer.loop import train

TACO = Path(__file__).parent / "code_formats" / "taco.jsonl"


def test_ingested_taco_rows_train(tmp_path):
    data = tmp_path / "taco.parquet"
    assert ingest([TACO], data, IngestOptions())["count_out"] == 3  # the fourth row's tests are unparsable
    run = tmp_path / "run"
    cfg = write_config(tmp_path / "c.yaml", out_dir=str(run),
                       data={"train_files": [str(data)], "val_files": []},
                       stages=[{"steps": 2, "max_response_length": 8, "batch_size": 2, "mini_batch_size": 2,
                                "group_size": 2}],
                       filter={"online": False, "offline": False})
    train(load_config(cfg), progress=False)
    steps = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [s for s in steps if "step" in s]
    assert [s["step"] for s in steps][-2:] == [1, 2]
    for s in steps[-2:]:  # both groups of each step scored by the code verifier, none failing to score
        assert s["filter/groups"] == 2 and s["reward/errors"] == 0 and s["reward/mean"] == 0.0
    assert (run / "checkpoints" / "latest").exists()
