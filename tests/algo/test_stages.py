"""Tests for or1.algo.stages: the multi-stage schedule."""

from dataclasses import dataclass

import pytest

from or1.algo.stages import Stage, StageSchedule


@dataclass
class _StageRow:
    """Stands in for a config row: an object with attributes, not a dict."""

    steps: int
    max_response_length: int
    batch_size: int
    mini_batch_size: int
    group_size: int
    temperature: float = 1.0


# Math-7B table (DESIGN.md §1): 0–740 8K 256/128/16, 740–1740 16K, 1740–2080 32K, 2080–2160 32K 128/64/64
_MATH_7B = [
    {"steps": 740, "max_response_length": 8192, "batch_size": 256, "mini_batch_size": 128,
     "group_size": 16, "temperature": 1.0},
    {"steps": 1000, "max_response_length": 16384, "batch_size": 256, "mini_batch_size": 128,
     "group_size": 16, "temperature": 1.0},
    {"steps": 340, "max_response_length": 32768, "batch_size": 256, "mini_batch_size": 128,
     "group_size": 16, "temperature": 1.0},
    {"steps": 80, "max_response_length": 32768, "batch_size": 128, "mini_batch_size": 64,
     "group_size": 64, "temperature": 1.0},
]


@pytest.fixture
def math7b() -> StageSchedule:
    return StageSchedule(_MATH_7B)


def test_total_steps_and_stage_bounds(math7b):
    assert math7b.total_steps == 2160
    assert [(s.index, s.start, s.end) for s in math7b.stages] == [
        (0, 0, 740), (1, 740, 1740), (2, 1740, 2080), (3, 2080, 2160)]


@pytest.mark.parametrize(
    ("step", "index"),
    [
        (0, 0), (739, 0),  # first and last step of each stage
        (740, 1), (1739, 1),
        (1740, 2), (2079, 2),
        (2080, 3), (2159, 3),
        (370, 0), (1000, 1),  # and an inner step
    ],
)
def test_lookup_at_every_boundary(math7b, step, index):
    stage = math7b.at(step)
    assert stage.index == index
    assert stage.start <= step < stage.end
    assert stage is math7b.stages[index]


def test_stage_fields(math7b):
    assert math7b.at(0) == Stage(0, 0, 740, 8192, 256, 128, 16, 1.0)
    last = math7b.at(2159)
    assert (last.max_response_length, last.batch_size, last.mini_batch_size, last.group_size) == (
        32768, 128, 64, 64)


@pytest.mark.parametrize("step", [2160, 2161, -1, -740])
def test_step_outside_schedule_raises(math7b, step):
    with pytest.raises(IndexError, match="outside the schedule"):
        math7b.at(step)


def test_updates_per_step():
    # OR1-7B stage 1 256/256 -> 1 update (on-policy); Math-7B 256/128 -> 2; 128/32 -> 4
    rows = [_StageRow(1, 16, 256, 256, 16), _StageRow(1, 16, 256, 128, 16), _StageRow(1, 16, 128, 32, 8)]
    assert [s.updates_per_step for s in StageSchedule(rows).stages] == [1, 2, 4]


def test_objects_and_dicts_give_the_same_schedule():
    rows = [_StageRow(**d) for d in _MATH_7B]
    assert StageSchedule(rows).stages == StageSchedule(_MATH_7B).stages


def test_mixed_rows_and_default_temperature():
    # an object row (temperature default 1.0) then a dict row with τ 0.6; one-step stages
    sched = StageSchedule([_StageRow(1, 8, 4, 2, 2),
                           {"steps": 2, "max_response_length": 16, "batch_size": 4, "mini_batch_size": 4,
                            "group_size": 4, "temperature": 0.6}])
    assert sched.total_steps == 3
    assert sched.at(0) == Stage(0, 0, 1, 8, 4, 2, 2, 1.0)
    assert sched.at(1) == Stage(1, 1, 3, 16, 4, 4, 4, 0.6)
    assert sched.at(2) is sched.at(1)
    assert isinstance(sched.at(0).temperature, float)


def test_single_stage_schedule():
    sched = StageSchedule([_StageRow(5, 96, 8, 8, 8)])
    assert [sched.at(i).index for i in range(5)] == [0] * 5
    with pytest.raises(IndexError):
        sched.at(5)


@pytest.mark.parametrize("steps", [0, -3])
def test_non_positive_steps_raise(steps):
    with pytest.raises(ValueError, match="steps must be >= 1"):
        StageSchedule([_StageRow(10, 8, 4, 2, 2), _StageRow(steps, 8, 4, 2, 2)])


def test_empty_schedule_raises():
    with pytest.raises(ValueError, match="at least one stage"):
        StageSchedule([])


def test_stage_is_frozen(math7b):
    with pytest.raises(AttributeError):
        math7b.at(0).batch_size = 1
