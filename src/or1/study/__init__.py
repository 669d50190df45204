"""`or1 study`: the report's ablation findings reproduced in miniature on the tiny world, across seeds."""

from or1.study.studies import STUDIES, Arm, Finding, Study, get_study

__all__ = ["STUDIES", "Arm", "Finding", "Study", "get_study"]
