"""The predefined ablations as data: each study's arms (config overrides) and the paper's findings to test.

Every run starts from `BASE` (configs/study_base.yaml), the miniature of the recipe on the tiny world (one
stage, on-policy, τ 1.0, clip-higher 0.26, adaptive entropy control, online filtering with refill, no
truncation mask), then applies
the study's own settings and the arm's overrides, so arms of a study differ only in the ablated setting.
A finding compares two arms on one metric in the direction the Skywork-OR1 report found.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

__all__ = ["BASE", "METRICS", "QUICK_OVERRIDES", "STUDIES", "Arm", "Finding", "Study", "base_config", "get_study"]

# The miniature recipe (configs/study_base.yaml); `runner` fills in out_dir, seed, model.path and the data files.
BASE: dict[str, Any] = yaml.safe_load(resources.files("or1.configs").joinpath("study_base.yaml").read_text())

# `--quick`: a few tiny steps, only to check that every part of a study runs.
QUICK_OVERRIDES: tuple[str, ...] = (
    "stages.0.steps=4", "stages.0.batch_size=4", "stages.0.mini_batch_size=4", "stages.0.group_size=4",
    "validation.every=2", "validation.n=2", "validation.max_problems=8", "checkpoint_every=2",
    "filter.max_refills=0",
)

# What a finding can compare (see `report.arm_metric`).
METRICS = {
    "test_avg": "final held-out Avg@K (%)",
    "val_mean": "mean validation accuracy over all validations (%), a learning-speed measure",
    "entropy_late": "mean entropy estimate over the last quarter of steps (nats/token)",
}


@dataclass(frozen=True)
class Arm:
    """One setting of a study: a name (folder), a label (plots, tables) and its config overrides."""

    name: str
    label: str
    overrides: tuple[str, ...] = ()
    quick_overrides: tuple[str, ...] = ()  # extra overrides under --quick (e.g. keep N_SGD = 4 dividing the batch)


@dataclass(frozen=True)
class Finding:
    """The report's claim that arm `better` scores higher than arm `worse` on `metric`."""

    claim: str
    better: str
    worse: str
    metric: Literal["test_avg", "val_mean", "entropy_late"]


@dataclass(frozen=True)
class Study:
    """A predefined ablation."""

    name: str
    title: str
    paper: str  # what the report found, in words
    arms: tuple[Arm, ...]
    findings: tuple[Finding, ...]
    overrides: tuple[str, ...] = ()  # the miniature's settings shared by all arms of this study
    settings_note: str = ""  # why those settings, stated in the report
    eval_max_tokens: int = 56  # response budget of the final held-out evaluation

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise KeyError(f"study {self.name} has no arm {name!r}")


_ENTROPY_CONTROL = ("entropy.adaptive=true", "entropy.target=0.08", "entropy.delta=0.02", "entropy.coef_max=0.3")
_NO_CONTROL = ("entropy.adaptive=false", "entropy.coef=0.0")
_OFF_POLICY = ("stages.0.mini_batch_size=2",)  # batch 8 / mini-batch 2 = N_SGD 4 updates per step
_QUICK_OFF_POLICY = ("stages.0.mini_batch_size=1",)  # quick batch 4 / 1 = N_SGD 4

_RECOMPUTE = ("algo.recompute_old_logp=true",)  # every staleness arm: π_old from the trainer's forward
# The staleness study's controller: its target just above the warm start's entropy at τ 1.0 (0.10-0.12 over
# the first steps), as the entropy study's 0.08 was for the warm start it was run on (0.071).
_STALENESS_CONTROL = ("entropy.adaptive=true", "entropy.target=0.12", "entropy.delta=0.02", "entropy.coef_max=0.3")


def _staleness(s: int) -> tuple[str, ...]:
    """Rollouts from weights `s` steps old (0: sync mode), the worker on one thread."""
    if s == 0:
        return ("rollout.mode=sync",)
    return ("rollout.mode=async", f"rollout.max_staleness={s}", "rollout.worker_threads=1")


def _staleness_arms() -> tuple[Arm, ...]:
    return tuple(Arm(f"s{s}{'_ctrl' if ctrl else ''}", f"s={s}{' + adaptive entropy' if ctrl else ', no control'}",
                     (*_staleness(s), *(_STALENESS_CONTROL if ctrl else _NO_CONTROL)))
                 for s in (0, 1, 2, 4) for ctrl in (False, True))


STUDIES: dict[str, Study] = {s.name: s for s in (
    Study(
        "entropy", "Off-policy updates and adaptive entropy control",
        "More off-policy SGD steps per rollout batch (N_SGD > 1) speed up entropy collapse; adaptive entropy "
        "control (α raised while entropy is below its target, up to α_max) keeps entropy from collapsing, "
        "and premature collapse costs test accuracy.",
        arms=(
            Arm("on_policy", "on-policy, no entropy control", _NO_CONTROL),
            Arm("on_policy_ctrl", "on-policy + adaptive entropy", _ENTROPY_CONTROL),
            Arm("off_policy", "N_SGD=4, no entropy control", (*_NO_CONTROL, *_OFF_POLICY), _QUICK_OFF_POLICY),
            Arm("off_policy_ctrl", "N_SGD=4 + adaptive entropy", (*_ENTROPY_CONTROL, *_OFF_POLICY),
                _QUICK_OFF_POLICY),
        ),
        findings=(
            Finding("off-policy updates (N_SGD=4) collapse entropy faster than on-policy updates",
                    "on_policy", "off_policy", "entropy_late"),
            Finding("adaptive entropy control keeps entropy higher under off-policy updates",
                    "off_policy_ctrl", "off_policy", "entropy_late"),
            Finding("adaptive entropy control keeps entropy higher under on-policy updates",
                    "on_policy_ctrl", "on_policy", "entropy_late"),
            Finding("with off-policy updates, adaptive entropy control gives higher test accuracy",
                    "off_policy_ctrl", "off_policy", "test_avg"),
            Finding("on-policy updates give higher test accuracy than off-policy ones (no entropy control)",
                    "on_policy", "off_policy", "test_avg"),
        ),
        overrides=("stages.0.steps=60",),
        settings_note="the recipe's lr 2e-4 (5e-4 made the tiny policy's entropy rise and its accuracy fall "
                      "within 20 steps: the miniature's instability is an entropy blow-up, which no entropy bonus "
                      "can cure); entropy target 0.08 nats/token, about the warm-started policy's entropy at "
                      "τ 1.0 (the paper's 0.2 sits far above the tiny policy's scale, so α would sit at α_max from "
                      "the first step); α_max 0.3 and Δ 0.02 so that the controller acts within the run (a "
                      "first full run with α_max 0.05, Δ 0.005 held α at α_max from step 10 and barely slowed "
                      "the decline).",
    ),
    Study(
        "filtering", "Online filtering of zero-advantage groups",
        "Dropping groups whose samples are all right or all wrong (zero advantage, no signal) and refilling "
        "the batch makes each step's gradient informative and speeds up learning.",
        arms=(Arm("filter_on", "online filter + refill", ("filter.online=true",)),
              Arm("filter_off", "no online filter", ("filter.online=false",))),
        findings=(Finding("online filtering gives higher test accuracy", "filter_on", "filter_off", "test_avg"),
                  Finding("online filtering learns faster (higher mean validation accuracy)",
                          "filter_on", "filter_off", "val_mean")),
        overrides=("stages.0.steps=60",),
    ),
    Study(
        "truncation", "Truncated-response masking under a tight context",
        "Masking truncated responses out of the loss did not help: training without the mask (truncated "
        "responses get reward 0 and still train) gave better test accuracy.",
        arms=(Arm("no_mask", "no truncation mask", ("algo.mask_truncated=false",)),
              Arm("mask", "truncation mask", ("algo.mask_truncated=true",))),
        findings=(Finding("no truncation mask gives higher test accuracy than masking", "no_mask", "mask",
                          "test_avg"),),
        overrides=("stages.0.max_response_length=33", "stages.0.steps=60"),
        settings_note="a 33-token context: a correct trace takes 29-35 tokens (with EOS), so the longest correct "
                      "answers (three-digit results) and every rambling response are cut; the final evaluation "
                      "uses the same budget.",
        eval_max_tokens=33,
    ),
    Study(
        "temperature", "Rollout temperature",
        "Sampling rollouts at τ = 1.0 rather than 0.6 keeps entropy higher, gives more informative groups "
        "and better test accuracy.",
        arms=(Arm("t1.0", "τ = 1.0", ("stages.0.temperature=1.0",)),
              Arm("t0.6", "τ = 0.6", ("stages.0.temperature=0.6",))),
        findings=(Finding("τ = 1.0 gives higher test accuracy than τ = 0.6", "t1.0", "t0.6", "test_avg"),
                  Finding("τ = 1.0 keeps entropy higher than τ = 0.6", "t1.0", "t0.6", "entropy_late")),
        overrides=("stages.0.steps=60",),
        settings_note="the entropy estimate is that of the sampling distribution at the arm's own τ, so the "
                      "entropy finding mixes the direct effect of τ with what training did to the policy.",
    ),
    Study(
        "clip-higher", "Clip-higher: the upper clip bound ε_high",
        "Raising ε_high from 0.2 to 0.25-0.265 helped (more room for low-probability tokens to grow, higher "
        "entropy); 0.28 hurt.",
        arms=(Arm("eps0.2", "ε_high = 0.2", ("algo.clip_high=0.2",)),
              Arm("eps0.26", "ε_high = 0.26", ("algo.clip_high=0.26",)),
              Arm("eps0.3", "ε_high = 0.3", ("algo.clip_high=0.3",))),
        findings=(Finding("ε_high 0.26 gives higher test accuracy than 0.2", "eps0.26", "eps0.2", "test_avg"),
                  Finding("ε_high 0.26 gives higher test accuracy than 0.3", "eps0.26", "eps0.3", "test_avg"),
                  Finding("a higher ε_high (0.3) keeps entropy higher than 0.2", "eps0.3", "eps0.2",
                          "entropy_late")),
        overrides=("stages.0.steps=60", *_OFF_POLICY),
        settings_note="off-policy updates (N_SGD = 4): with one update per rollout batch the ratio π_θ/π_old is "
                      "exactly 1, nothing is ever clipped and ε_high cannot matter (an on-policy run of this "
                      "study gave bit-identical runs for all three ε_high).",
    ),
)}


STUDIES["staleness"] = Study(
    "staleness", "Asynchronous rollouts: staleness and adaptive entropy control",
    "Off-policy updates speed up entropy collapse and adaptive entropy control guards against it (the report, "
    "for N_SGD > 1). Asynchronous rollouts sampled from weights s steps old are off-policy the same way; "
    "with truncated importance sampling and the controller reading the behaviour policy's entropy, does "
    "control still prevent the collapse?",
    arms=_staleness_arms(),
    findings=(
        Finding("stale rollouts (s=4) collapse entropy faster than on-policy rollouts (s=0), no control",
                "s0", "s4", "entropy_late"),
        Finding("adaptive entropy control keeps entropy higher under s=4", "s4_ctrl", "s4", "entropy_late"),
        Finding("adaptive entropy control keeps entropy higher under s=1", "s1_ctrl", "s1", "entropy_late"),
        Finding("on-policy rollouts (s=0) give higher test accuracy than s=4, no control", "s0", "s4", "test_avg"),
        Finding("with s=4, adaptive entropy control gives higher test accuracy", "s4_ctrl", "s4", "test_avg"),
    ),
    overrides=("stages.0.steps=60", *_RECOMPUTE),
    settings_note="s = 0 is sync mode; s ≥ 1 rollout.mode=async with a one-thread worker and the default "
                  "correction (algo.tis_cap 2, token level). Every arm recomputes π_old with the trainer's forward, "
                  "so arms differ only in staleness and control. Entropy control: target 0.12 nats/token, just above "
                  "the warm start's entropy at τ 1.0 (0.10-0.12 over the first steps), Δ 0.02, α_max 0.3 (a first "
                  "full run with the entropy study's target 0.08 never activated the controller: every arm's "
                  "entropy stayed above it, and the control arms were bitwise the uncontrolled ones). "
                  "entropy_late is the controller's estimate: −mean log π_β of the sampled tokens, the policy "
                  "that sampled them (s steps old under async).",
)


def get_study(name: str) -> Study:
    """The study called `name`; KeyError lists the valid names."""
    if name not in STUDIES:
        raise KeyError(f"unknown study {name!r}; choose one of: {', '.join(STUDIES)}")
    return STUDIES[name]


def base_config() -> dict[str, Any]:
    """A fresh copy of `BASE` (callers mutate it with overrides)."""
    return copy.deepcopy(BASE)
