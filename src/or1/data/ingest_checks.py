"""Field checks of `or1 data ingest`: each returns the field's schema value or raises `Reject(reason)`.

Reasons: missing_problem, missing_answer, missing_tests, bad_tests, empty_tests, too_long, non_utf8,
bad_ability, bad_field (a value of a type no schema field can hold).
"""

from __future__ import annotations

import json
from typing import Any

from or1.config import ABILITIES

__all__ = ["Reject", "check_ability", "check_answer", "check_tests", "text_value"]

class Reject(Exception):
    """A row that cannot become a schema row; `reason` is a short snake_case word, `detail` says more."""

    def __init__(self, reason: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, dict(detail or {})


def text_value(value: Any, name: str) -> str:
    """A field as text: None -> "", numbers -> their decimal text, bytes must be UTF-8."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Reject("non_utf8", {"field": name, "error": str(e)}) from None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Reject("bad_field", {"field": name, "type": type(value).__name__})
    return str(value)


def check_ability(value: Any) -> str:
    """The ability, which must name a verifier family."""
    if value not in ABILITIES:
        raise Reject("bad_ability", {"ability": value, "known": list(ABILITIES)})
    return value


def check_answer(value: Any, max_chars: int) -> str:
    """A math ground truth as the release stores it: the answer text, or a JSON list of answers."""
    if isinstance(value, list | tuple):
        answers = [text_value(v, "answer").strip() for v in value]
        answers = [a for a in answers if a]
        if not answers:
            raise Reject("missing_answer")
        text = json.dumps(answers, ensure_ascii=False)
    else:
        text = text_value(value, "answer").strip()
        if not text:
            raise Reject("missing_answer")
    if len(text) > max_chars:
        raise Reject("too_long", {"field": "answer", "chars": len(text), "max": max_chars})
    return text


def check_tests(value: Any) -> str:
    """Code tests as a JSON string {"inputs": [...], "outputs": [...], "fn_name"?}, one output per input."""
    if value is None or (isinstance(value, str | bytes) and not value.strip()):
        raise Reject("missing_tests")
    if isinstance(value, str | bytes):
        try:
            value = json.loads(text_value(value, "tests"))
        except json.JSONDecodeError as e:
            raise Reject("bad_tests", {"error": f"not JSON: {e}"}) from None
    if not isinstance(value, dict):
        raise Reject("bad_tests", {"error": "tests must be an object with inputs and outputs"})
    inputs, outputs = value.get("inputs"), value.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise Reject("bad_tests", {"error": "tests need 'inputs' and 'outputs' lists"})
    if len(inputs) != len(outputs):
        raise Reject("bad_tests", {"error": f"{len(inputs)} inputs but {len(outputs)} outputs"})
    if not inputs:
        raise Reject("empty_tests")
    fn_name = value.get("fn_name")
    if fn_name is not None and (not isinstance(fn_name, str) or not fn_name):
        raise Reject("bad_tests", {"error": "fn_name must be a non-empty string"})
    return json.dumps(value, ensure_ascii=False)
