"""Answer extraction: the last `\\boxed{...}` of a response's answer section (DESIGN.md §2).

All scans are single linear passes, so a 100 KB response full of unclosed braces costs milliseconds.
"""

from __future__ import annotations

import re
from typing import Literal

from or1.rewards.extract import answer_section
from or1.rewards.math_normalize import strip_delimiters

__all__ = ["Fallback", "all_boxed", "extract_answer", "extract_boxed"]

Fallback = Literal["answer_is", "last_math"]

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_BARE_TOKEN = re.compile(r"\s*([^\s${}\\]+)")  # "\boxed 5": the argument is one token
_ANSWER_IS = re.compile(r"(?:final answer|the answer|answer)\s*(?:is|:)\s*:?\s*", re.IGNORECASE)
_INLINE_MATH = re.compile(r"\$([^$]{1,1000})\$")


def _closing_braces(text: str) -> dict[int, int]:
    """Position of each unescaped `{` -> position of its matching `}` (one pass, a stack)."""
    match, stack, backslashes = {}, [], 0
    for i, c in enumerate(text):
        if c == "\\":
            backslashes += 1
            continue
        escaped = backslashes % 2 == 1
        backslashes = 0
        if escaped:
            continue
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            match[stack.pop()] = i
    return match


def all_boxed(text: str) -> list[str]:
    """Contents of every top-level `\\boxed{...}` / `\\fbox{...}` in order (nested boxes are inside
    their parent's content; an unclosed box is skipped).

    Args:
        text: any text.

    Returns:
        The box contents, possibly empty.
    """
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    closing: dict[int, int] | None = None
    found, end = [], -1
    for m in _BOX.finditer(text):
        if m.start() < end:
            continue  # inside the previous box
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            closing = _closing_braces(text) if closing is None else closing
            close = closing.get(i)
            if close is not None:
                found.append(text[i + 1 : close])
                end = close
        else:
            bare = _BARE_TOKEN.match(text, m.end())
            if bare and bare.group(1):
                found.append(bare.group(1))
                end = bare.end()
    return found


def extract_boxed(text: str) -> str | None:
    """The content of the last top-level `\\boxed{...}` or `\\fbox{...}` (also `\\boxed 5`).

    Braces must balance; escaped braces (`\\{`) do not count. Examples: "so \\boxed{\\frac{1}{2}}." ->
    "\\frac{1}{2}"; "\\boxed{1} then \\boxed{2}" -> "2"; "\\boxed{3" -> None.

    Args:
        text: any text.

    Returns:
        The content, or None when there is no complete box.
    """
    boxes = all_boxed(text)
    return boxes[-1] if boxes else None


def _fallback(section: str, fallbacks: tuple[Fallback, ...]) -> str | None:
    for kind in fallbacks:
        if kind == "answer_is":
            hits = list(_ANSWER_IS.finditer(section))
            if hits:
                line = section[hits[-1].end() :].split("\n", 1)[0].strip().rstrip(".")
                if line:
                    return strip_delimiters(line)
        elif kind == "last_math":
            hits = _INLINE_MATH.findall(section)
            if hits:
                return hits[-1].strip()
    return None


def extract_answer(
    response: str,
    mode: Literal["response", "answer"] = "response",
    *,
    fallbacks: tuple[Fallback, ...] = (),
) -> tuple[str | None, str]:
    """The final answer of a response, and why there is none.

    Args:
        response: in "response" mode a full model response: the answer section after the last
            `</think>` is searched for its last box; no `</think>` means "unfinished" (the original
            scored the whole text, which rewarded boxes inside unfinished reasoning). In "answer" mode
            the text is the final answer itself (its box, if it has one).
        mode: "response" or "answer".
        fallbacks: in "response" mode, what to try when there is no box, in order: "answer_is" (the
            rest of the line after the last "answer is" / "Answer:"), "last_math" (the last $...$).
            None by default: the recipe rewards boxed answers only.

    Returns:
        (answer, status): status "ok" with the answer, or (None, "unfinished" | "no_answer").
    """
    if mode == "answer":
        boxed = extract_boxed(response)
        answer = strip_delimiters(boxed if boxed is not None else response)
        return (answer, "ok") if answer else (None, "no_answer")
    section = answer_section(response)
    if section is None:
        return None, "unfinished"
    boxed = extract_boxed(section)
    if boxed is None:
        boxed = _fallback(section, fallbacks)
    if boxed is None or not boxed.strip():
        return None, "no_answer"
    return boxed.strip(), "ok"
