"""Config loading: unknown keys with suggestions, type and range errors naming the key, overrides."""

from __future__ import annotations

import hashlib
import json

import pytest

from conftest import write_config
from or1.config import ASYNC_TIS_CAP, ConfigError
from or1.config_load import config_to_dict, dump_config, fingerprint, load_config


@pytest.fixture
def cfg_path(tmp_path):
    return write_config(tmp_path / "c.yaml", data={"train_files": ["t.parquet"], "val_files": []})


def test_loads_with_defaults_and_overrides(cfg_path):
    cfg = load_config(cfg_path, ["algo.lr=2e-4", "stages.1.steps=7", "entropy.target=0.3"])
    assert cfg.algo.lr == 2e-4  # YAML 1.1 reads "2e-4" as a string; the loader still takes it as a float
    assert cfg.stages[1].steps == 7 and cfg.entropy.target == 0.3
    assert cfg.algo.clip_low == 0.2 and cfg.entropy.coef_max == 0.005  # defaults from config.py


@pytest.mark.parametrize(("override", "message"), [
    ("algo.lrr=1", "unknown config key 'algo.lrr'; did you mean 'algo.lr'?"),
    ("entropy.targt=0.1", "did you mean 'entropy.target'?"),
    ("stagez=[]", "unknown config key 'stagez'; did you mean 'stages'?"),
    ("stages.0.mini_batch_size=3", "stages[0].mini_batch_size=3 must divide stages[0].batch_size=4"),
    ("stages.0.group_size=1", "stages[0].group_size=1 must be >= 2"),
    ("algo.lr=abc", "algo.lr must be a number, got 'abc'"),
    ("algo.lr=-1", "algo.lr=-1.0 must be > 0"),
    ("rollout.engine=foo", "rollout.engine='foo' is not one of"),
    ("filter.online=maybe", "filter.online must be true or false"),
    ("stages.5.steps=1", "is not an index of a 2-item list"),
    ("validation.every=5", "validation.every > 0 needs data.val_files"),
    ("entropy.coef=0.1", "entropy.coef=0.1 must be <= entropy.coef_max=0.005"),
    ("noequals", "must look like key.sub=value"),
    ("logging.backends=[jsonl,neptune]", "logging.backends: unknown ['neptune']; known: ['jsonl', 'tensorboard'"),
    ("logging.sample_every=-1", "logging.sample_every=-1 must be >= 0"),
])
def test_bad_values_name_the_key(cfg_path, override, message):
    with pytest.raises(ConfigError) as e:
        load_config(cfg_path, [override])
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(bad)


def test_missing_required_section(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("data: {train_files: [x.parquet]}\n")
    with pytest.raises(ConfigError, match="missing required config key 'stages'"):
        load_config(p)


def test_dump_round_trips(cfg_path, tmp_path):
    cfg = load_config(cfg_path, ["algo.clip_high=0.26"])
    again = tmp_path / "again.yaml"
    again.write_text(dump_config(cfg))
    assert load_config(again) == cfg


def test_mixed_precision_needs_fp32_master_weights(cfg_path):
    with pytest.raises(ConfigError, match=r"distributed.mixed_precision=true needs model.dtype: float32"):
        load_config(cfg_path, ["distributed.mixed_precision=true", "model.dtype=bfloat16"])
    assert load_config(cfg_path, ["distributed.mixed_precision=true"]).model.dtype == "float32"


def test_fingerprint_ignores_bookkeeping_but_not_the_recipe(cfg_path):
    base = fingerprint(load_config(cfg_path))
    assert fingerprint(load_config(cfg_path, ["out_dir=elsewhere", "checkpoint_every=5"])) == base
    assert fingerprint(load_config(cfg_path, ["logging.backends=[jsonl,wandb]", "logging.sample_every=1"])) == base
    assert fingerprint(load_config(cfg_path, ["algo.clip_high=0.3"])) != base
    assert fingerprint(load_config(cfg_path, ["stages.0.steps=3"])) != base


def test_importance_sampling_settings(cfg_path):
    """algo.tis_cap: off by default, >= 1, only with the trainer's own π_old; off, it leaves the fingerprint
    of a config from before the option existed (old checkpoints still resume)."""
    assert load_config(cfg_path).algo.tis_cap is None
    with pytest.raises(ConfigError, match=r"algo.tis_cap needs algo.recompute_old_logp=true"):
        load_config(cfg_path, ["algo.tis_cap=2"])
    with pytest.raises(ConfigError, match=r"algo.tis_cap=0.5 must be >= 1"):
        load_config(cfg_path, ["algo.tis_cap=0.5", "algo.recompute_old_logp=true"])
    on = ["algo.tis_cap=2", "algo.recompute_old_logp=true"]
    assert load_config(cfg_path, on).algo.tis_level == "token"
    base = fingerprint(load_config(cfg_path, ["algo.recompute_old_logp=true"]))
    assert fingerprint(load_config(cfg_path, ["algo.recompute_old_logp=true", "algo.tis_level=sequence"])) == base
    assert fingerprint(load_config(cfg_path, on)) != base
    seq = fingerprint(load_config(cfg_path, [*on, "algo.tis_level=sequence"]))
    assert seq != fingerprint(load_config(cfg_path, on))
    cfg = load_config(cfg_path)
    d = config_to_dict(cfg)
    for k in ("out_dir", "checkpoint_every", "keep_checkpoints", "validation", "reward", "threads", "ray",
              "distributed", "watchdog", "logging"):
        d.pop(k, None)
    del d["algo"]["tis_cap"], d["algo"]["tis_level"]  # the dict as it was before the options
    del d["rollout"]["mode"], d["rollout"]["max_staleness"], d["rollout"]["worker_threads"]
    assert fingerprint(cfg) == hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def test_async_settings(cfg_path):
    """rollout.mode=async: s >= 1, the HF engine without Ray, π_old recomputed, the correction on by default
    (cap 2) and settable; sync mode fingerprints as before the options existed, the worker's threads never
    enter the fingerprint, the staleness does."""
    assert load_config(cfg_path).rollout.mode == "sync"
    recompute = "algo.recompute_old_logp=true"
    with pytest.raises(ConfigError, match=r"rollout.mode=async needs algo.recompute_old_logp=true"):
        load_config(cfg_path, ["rollout.mode=async"])
    cfg = load_config(cfg_path, ["rollout.mode=async", recompute])
    assert (cfg.algo.tis_cap, cfg.algo.tis_level, cfg.rollout.max_staleness) == (ASYNC_TIS_CAP, "token", 1)
    assert load_config(cfg_path, ["rollout.mode=async", recompute, "algo.tis_cap=5"]).algo.tis_cap == 5
    dumped = cfg_path.with_name("dumped.yaml")
    dumped.write_text(dump_config(cfg))
    assert load_config(dumped).algo.tis_cap == ASYNC_TIS_CAP
    assert fingerprint(load_config(dumped)) == fingerprint(cfg)  # a dumped async config resumes as itself
    for bad, match in [("rollout.max_staleness=0", r"rollout.max_staleness=0 must be >= 1"),
                       ("rollout.engine=vllm", r"rollout.engine='vllm' is not supported"),
                       ("ray.enabled=true ray.rollout_actors=2", r"set ray.rollout_actors=0 \(got 2\)"),
                       ("rollout.worker_threads=0", r"rollout.worker_threads=0 must be >= 1"),
                       ("rollout.mode=later", r"rollout.mode")]:
        with pytest.raises(ConfigError, match=match):
            load_config(cfg_path, ["rollout.mode=async", recompute, *bad.split()])
    assert load_config(cfg_path, ["rollout.mode=async", recompute, "ray.enabled=true"]).ray.enabled  # one Ray actor
    base = fingerprint(load_config(cfg_path, [recompute]))
    assert fingerprint(load_config(cfg_path, [recompute, "rollout.max_staleness=3"])) == base  # unused in sync
    one = fingerprint(cfg)
    assert one != base
    assert fingerprint(load_config(cfg_path, ["rollout.mode=async", recompute, "rollout.worker_threads=1"])) == one
    assert fingerprint(load_config(cfg_path, ["rollout.mode=async", recompute, "rollout.max_staleness=2"])) != one
