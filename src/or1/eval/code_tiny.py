"""Build the packaged `code_tiny` evaluation set: 21 small problems in LiveCodeBench's row format.

Rows follow the release schema (DESIGN.md §3): a one-message chat prompt worded as LiveCodeBench's
(a question, then stdin instructions or LeetCode starter code, and a ```python fence to fill), ability
"code", and `reward_model.ground_truth` = JSON text {"inputs", "outputs", "fn_name"?}. Call-based tests
use LiveCodeBench's encoding: each input is newline-separated JSON arguments, each output JSON text.

Regenerate the file with `python -m or1.eval.code_tiny` (deterministic: the same rows every time).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from or1.eval.code_tiny_problems import CALL, STDIN, CallProblem, StdinProblem
from or1.problems.schema import write_rows

__all__ = ["DATA_SOURCE", "PATH", "build_rows", "ground_truth"]

DATA_SOURCE = "or1-code-tiny"
PATH = Path(__file__).resolve().parents[1] / "problems" / "sets" / "code_tiny.parquet"

_INTRO = ("You will be given a question (problem specification) and will generate a correct Python program "
          "that matches the specification and passes all tests.\n\n### Question:\n")
_STDIN_FORMAT = ("\n\n### Format: Read the inputs from stdin, solve the problem and write the answer to stdout "
                 "(do not directly test on the sample inputs). Enclose your code within delimiters as follows.\n"
                 "```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n")
_CALL_FORMAT = ("\n\n### Format: You will use the following starter code to write the solution to the problem "
                "and enclose your code within delimiters.\n```python\nclass Solution:\n    {signature}\n        \n"
                "```\n\n### Answer: (use the provided format with backticks)\n")


def ground_truth(p: StdinProblem | CallProblem) -> dict[str, Any]:
    """The problem's tests, outputs computed by its oracle."""
    if isinstance(p, StdinProblem):
        return {"inputs": [x + "\n" for x in p.inputs], "outputs": [p.oracle(x) + "\n" for x in p.inputs]}
    return {"inputs": ["\n".join(json.dumps(a) for a in args) for args in p.inputs],
            "outputs": [json.dumps(p.oracle(*args)) for args in p.inputs],
            "fn_name": p.signature.split("(")[0].removeprefix("def ").strip()}


def _prompt(p: StdinProblem | CallProblem) -> str:
    if isinstance(p, StdinProblem):
        example = p.inputs[0]
        sample = f"\n\nExample input:\n{example}\nExample output:\n{p.oracle(example)}"
        return _INTRO + p.statement + sample + _STDIN_FORMAT
    args = p.inputs[0]
    sample = f"\n\nExample: arguments {', '.join(map(json.dumps, args))} -> {json.dumps(p.oracle(*args))}"
    return _INTRO + p.statement + sample + _CALL_FORMAT.format(signature=p.signature)


def build_rows() -> list[dict[str, Any]]:
    """Every problem as a schema row; stdin problems first, then call-based ones."""
    rows = []
    problems: tuple[StdinProblem | CallProblem, ...] = (*STDIN, *CALL)
    for i, p in enumerate(problems):
        rows.append({
            "data_source": DATA_SOURCE,
            "prompt": [{"role": "user", "content": _prompt(p)}],
            "ability": "code",
            "reward_model": {"style": "rule", "ground_truth": json.dumps(ground_truth(p))},
            "extra_info": {"index": i, "split": "test", "name": p.name,
                           "style": "stdin" if isinstance(p, StdinProblem) else "call"},
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    """Write the set to PATH (or to the path given as the only argument)."""
    argv = sys.argv[1:] if argv is None else argv
    out = write_rows(build_rows(), argv[0] if argv else PATH)
    print(f"wrote {len(STDIN) + len(CALL)} problems to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
